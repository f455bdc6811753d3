"""Liveness, database and storage check (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.db import is_sqlite
from api.deps import RuntimeDep, SessionDep
from api.services.cache import read_revision
from api.storage import monitor, storage_status

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=dict[str, object])
def health(session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """`status` ok, or 503 `degraded` when the storage cannot take writes (`storage`
    says why: a full disk, a read-only data directory); reads may still work."""
    session.execute(text("SELECT 1"))
    content, params = read_revision(session)
    if not is_sqlite(runtime.engine):  # a server answered: connection problems are over
        monitor(runtime.engine).reachable()  # (SQLite's are the disk's: a write must show it)
    store = storage_status(runtime.engine, runtime.settings)
    body: dict[str, object] = {
        "status": "ok" if store["ok"] else "degraded",
        "database": session.get_bind().dialect.name,
        "revision": {"content": content, "params": params},
        "storage": store,
    }
    if store["ok"]:
        return JSONResponse(body)
    return JSONResponse({"detail": store["message"], **body}, status_code=503)
