"""Failed login attempts, kept in the database so every worker enforces one limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
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
