"""The audit log of administrative actions, and the permit a purge deletes under.

The audit log keeps no personal data: who acted (a staff account's id), what, when,
the reason typed and counts, never the student's id, name or answers. Database
triggers make it append-only. A student's log rows may be deleted only while a
`purge_permit` row for that student, tied to its audit event, exists; the purge
writes the permit, deletes, and removes the permit in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, no_nul, utcnow

PURGE_REASON_MIN = 10


class AuditAction(StrEnum):
    purge = "purge"
    export = "export"
    password_reset = "password_reset"
    deactivate = "deactivate"
    activate = "activate"
    roster_import = "roster_import"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int | None = None  # no foreign key: the log outlives any account
    action: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    reason: str = Field(default="", max_length=1000)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


class PurgePermit(SQLModel, table=True):
    __tablename__ = "purge_permit"
    student_id: int = Field(sa_column=Column(Integer, primary_key=True))
    audit_id: int = Field(sa_column=Column(Integer, ForeignKey("audit_log.id"), nullable=False))


class AuditEventPublic(SQLModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    reason: str
    details: dict[str, Any]


class PurgeRequest(SQLModel):
    """A verified purge request: the student's username typed again, and why (the
    reason goes into the audit log, so it must not name the student)."""

    confirm_username: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=PURGE_REASON_MIN, max_length=1000)

    @field_validator("confirm_username", "reason")
    @classmethod
    def _printable(cls, value: str) -> str:
        return no_nul(value)


class PurgeResult(SQLModel):
    audit_id: int
    deleted: dict[str, int]
