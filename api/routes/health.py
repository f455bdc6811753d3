"""Liveness and database check (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep
from api.services.cache import read_revision

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, object]:
    session.execute(text("SELECT 1"))
    content, params = read_revision(session)
    return {
        "status": "ok",
        "database": session.get_bind().dialect.name,
        "revision": {"content": content, "params": params},
    }
