"""Guardians and the students they may follow: the link table and its API schemas.

A link is created by a teacher (for a student in one of their classes), an admin, or a
roster import (OneRoster's guardian relations); `source` records which, so a later
re-import can tell its own links from the ones staff made by hand.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow
from models.users import Role, UserCreate

MAX_ID = 2_147_483_647


class LinkSource(StrEnum):
    staff = "staff"  # a teacher or an admin, through the API or the page
    roster = "roster"  # a roster import's guardian relation


class GuardianLink(SQLModel, table=True):
    __tablename__ = "guardian_link"
    guardian_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    student_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    # Plain text (not a database enum), like the user's role: a new source needs no migration.
    source: LinkSource = Field(
        default=LinkSource.staff, sa_column=Column(String(16), nullable=False)
    )
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class GuardianLinkCreate(SQLModel):
    guardian_id: int = Field(ge=1, le=MAX_ID)
    student_id: int = Field(ge=1, le=MAX_ID)


class GuardianCreate(UserCreate):
    """A new guardian account and the student it follows first (both or neither)."""

    role: Role = Role.guardian
    student_id: int = Field(ge=1, le=MAX_ID)

    @field_validator("role")
    @classmethod
    def _guardian(cls, value: Role) -> Role:
        if value != Role.guardian:
            raise ValueError(f"a guardian account has the role guardian, not {value}")
        return value


class GuardianLinkPublic(SQLModel):
    guardian_id: int
    guardian_username: str
    guardian_name: str
    student_id: int
    student_username: str
    student_name: str
    source: LinkSource
    created_at: datetime
