"""The audit log (admins): administrative actions, newest first."""

from __future__ import annotations

from fastapi import APIRouter

from api import paging
from api.deps import AdminUser, PageDep, SessionDep
from api.services import audit
from models.audit import AuditAction, AuditEventPublic

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=list[AuditEventPublic], responses=paging.PAGED_RESPONSES)
def list_events(
    session: SessionDep, _admin: AdminUser, page: PageDep, action: AuditAction | None = None
) -> list[AuditEventPublic]:
    """One page of events; the total is in `X-Total-Count`."""
    return [audit.to_public(e) for e in page.rows(session, audit.events_query(action))]
