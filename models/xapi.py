"""The xAPI outbox: one learning-record statement per recorded answer, until the LRS has it.

A row is written in the answer's own transaction, so a statement exists exactly when its
answer does (`api.services.xapi_outbox`). `statement` is the full JSON sent to the LRS,
fixed when the answer is recorded, so every resend is the same statement under the same
id and the LRS keeps it once. A sender claims rows for a while (`claim_token`,
`claimed_until`), and a row counts as delivered only once `sent_at` is set, after the LRS
acknowledged it. Unlike the response log this table is operational: claims and
deliveries update it. Purging a student's answers removes their statements too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class XapiOutbox(SQLModel, table=True):
    __tablename__ = "xapi_outbox"
    __table_args__ = (
        # the senders' one question: which unsent rows are due (sent rows drop out)
        Index(
            "ix_xapi_outbox_due",
            "next_attempt_at",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("response_log.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    statement_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    statement: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    claim_token: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    claimed_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_error: str | None = Field(default=None, sa_column=Column(String(1000), nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
