"""Login attempts and known login addresses, in the database so every worker enforces
one limit.

`login_failure` holds failed attempts and attempts still being checked (a row is
written before the password check, so concurrent guesses count at once); a success
removes the account's rows. `login_address` remembers where each account last logged
in successfully: such an account is not held back by its address's failures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_ip_at", "ip", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=200)
    ip: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LoginAddress(SQLModel, table=True):
    __tablename__ = "login_address"
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    ip: str = Field(max_length=64, primary_key=True)
    last_login_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LoginLock(SQLModel):
    """An account's failed-login state, as a teacher sees it."""

    locked: bool
    failures: int
    retry_after: int
