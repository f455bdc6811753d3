"""Schools and the OneRoster source ids of users, classes and enrolments; import reports.

A OneRoster import is keyed by `sourcedId`: these tables remember which local row each
source id became, so a re-import updates that row instead of adding another.
`roster_enrolment` marks the enrolments and teacher links the roster made, which are
the only ones a later roster may remove (enrolments made by hand are left alone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow

SOURCED_ID_MAX = 255


class School(SQLModel, table=True):
    """A OneRoster org (school, district, ...); made by an import or by an admin."""

    id: int | None = Field(default=None, primary_key=True)
    sourced_id: str | None = Field(
        default=None,
        sa_column=Column(String(SOURCED_ID_MAX), unique=True, nullable=True),
    )
    name: str = Field(max_length=200)
    kind: str = Field(default="school", max_length=32)
    identifier: str = Field(default="", max_length=255)


class RosterUser(SQLModel, table=True):
    __tablename__ = "roster_user"
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    sourced_id: str = Field(sa_column=Column(String(SOURCED_ID_MAX), unique=True, nullable=False))


class RosterClass(SQLModel, table=True):
    """A class's school, and its source id when a roster made it."""

    __tablename__ = "roster_class"
    class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("classroom.id", ondelete="CASCADE"), primary_key=True)
    )
    sourced_id: str | None = Field(
        default=None, sa_column=Column(String(SOURCED_ID_MAX), unique=True, nullable=True)
    )
    school_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("school.id", ondelete="SET NULL"), nullable=True),
    )


class RosterEnrolment(SQLModel, table=True):
    """An enrolment (role student) or teacher link (role teacher) a roster made."""

    __tablename__ = "roster_enrolment"
    sourced_id: str = Field(sa_column=Column(String(SOURCED_ID_MAX), primary_key=True))
    class_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("classroom.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: str = Field(max_length=16)


class RosterImport(SQLModel, table=True):
    """One import run (applied, dry run or refused) and its report."""

    __tablename__ = "roster_import"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    actor_id: int | None = None  # the admin's id; None from the command line
    source: str = Field(max_length=255)
    outcome: str = Field(max_length=16)  # applied | dry_run | refused
    summary: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class RosterImportPublic(SQLModel):
    id: int
    created_at: datetime
    actor_id: int | None
    source: str
    outcome: str
    summary: dict[str, Any]
    changes: list[dict[str, Any]]
    problems: list[dict[str, Any]]
