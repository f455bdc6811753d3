"""The append-only response log and the stored reply to each logged answer.

The log is the learning record: code never updates or deletes it, and database
triggers (see the migrations) reject UPDATE and DELETE. `skills` records the skills
the answer was credited to at the time, so that replaying the log reproduces the
incremental mastery exactly even if the item's tags change later.
UNIQUE(student_id, idempotency_key) makes a retried submission a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow

IDEMPOTENCY_KEY_MAX = 100


class ResponseLog(SQLModel, table=True):
    __tablename__ = "response_log"
    __table_args__ = (
        UniqueConstraint("student_id", "idempotency_key", name="uq_response_student_key"),
        Index("ix_response_student_item", "student_id", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    item_id: str = Field(
        sa_column=Column(String(100), ForeignKey("item.id"), nullable=False, index=True)
    )
    raw_answer: str = Field(max_length=1000)
    normalized: str | None = Field(default=None, max_length=1000)
    correct: bool
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    attempt: int = Field(ge=1)
    idempotency_key: str = Field(max_length=IDEMPOTENCY_KEY_MAX)
    param_set_id: int | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class AnswerReply(SQLModel, table=True):
    """The JSON reply sent for a logged answer, returned again for a repeated key."""

    __tablename__ = "answer_reply"
    response_id: int = Field(
        sa_column=Column(Integer, ForeignKey("response_log.id"), primary_key=True)
    )
    body: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
