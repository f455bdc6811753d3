"""Writing and reading the audit log (administrative actions, no personal data).

`record` adds an event inside the caller's transaction, so an action and its record
are stored together or not at all. Details hold ids of staff accounts and counts,
never a student's id, name or answers (`models.audit`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from models.audit import AuditAction, AuditEvent, AuditEventPublic


def record(
    session: Session,
    action: AuditAction,
    actor_id: int | None,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event (call inside the write transaction of the action it records)."""
    event = AuditEvent(action=action.value, actor_id=actor_id, reason=reason, details=details or {})
    session.add(event)
    session.flush()
    return event


def events_query(action: AuditAction | None = None) -> Select[Any]:
    """Events newest first (page it with api.paging)."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc())
    if action is not None:
        query = query.where(AuditEvent.action == action.value)
    return query


def to_public(event: AuditEvent) -> AuditEventPublic:
    assert event.id is not None
    return AuditEventPublic(
        id=event.id,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        reason=event.reason,
        details=dict(event.details),
    )
