"""Versioned BKT parameter sets (engine ModelParams JSON); exactly one is active.

A partial unique index on `active` (see the migrations) makes a second active row
impossible at the database level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, text
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


class Activation(SQLModel, table=True):
    """One activation: which set, by whom, the gate's verdict, and any override's reason."""

    __tablename__ = "activation"
    id: int | None = Field(default=None, primary_key=True)
    param_set_id: int = Field(
        sa_column=Column(Integer, ForeignKey("param_set.id"), nullable=False, index=True)
    )
    previous_param_set_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("param_set.id"), nullable=True)
    )
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    passed: bool
    override_reason: str | None = Field(default=None, sa_column=Column(String(1000), nullable=True))
    gate: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ActivationRequest(SQLModel):
    """Body of an activation: an override of a refusing gate needs a reason in words."""

    override_reason: str | None = Field(
        default=None,
        min_length=10,
        max_length=1000,
        description=(
            "Activate although the gate refuses the set; recorded with your account. "
            "Say why (at least 10 characters)."
        ),
    )


class ActivationPublic(SQLModel):
    id: int
    param_set_id: int
    previous_param_set_id: int | None
    user_id: int | None
    passed: bool
    override_reason: str | None
    gate: dict[str, Any]
    created_at: datetime


class ActivationResult(SQLModel):
    """What an activation did: the replay's counts and the gate's verdict."""

    param_set_id: int
    responses: int
    students: int
    mastery_rows: int
    gate_passed: bool
    overridden: bool
    gate: dict[str, Any]
