"""Versioned BKT parameter sets (engine ModelParams JSON); exactly one is active.

A partial unique index on `active` (see the migrations) makes a second active row
impossible at the database level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, text
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class ParamSet(SQLModel, table=True):
    __tablename__ = "param_set"
    __table_args__ = (
        Index(
            "uq_param_set_one_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="fit", max_length=32)
    note: str = Field(default="", max_length=500)
    params: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    active: bool = Field(default=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    activated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ParamSetPublic(SQLModel):
    id: int
    source: str
    note: str
    active: bool
    created_at: datetime
    activated_at: datetime | None
    skills: int


class ParamSetDetail(ParamSetPublic):
    params: dict[str, Any]
