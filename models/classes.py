"""Classes, their teachers and student enrolments (with optional subgroup attributes).

Subgroup attributes (e.g. {"ell": "yes", "iep": "no"}) are free-form string pairs on
the enrolment, used only for equity reporting; they are never required.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, no_nul, utcnow

ATTRIBUTE_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,31}$"


class ClassroomBase(SQLModel):
    name: str = Field(min_length=1, max_length=100, unique=True, index=True)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        return no_nul(value)


class Classroom(ClassroomBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ClassTeacher(SQLModel, table=True):
    __tablename__ = "class_teacher"
    class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("classroom.id", ondelete="CASCADE"), primary_key=True)
    )
    teacher_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )


class Enrolment(SQLModel, table=True):
    class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("classroom.id", ondelete="CASCADE"), primary_key=True)
    )
    student_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    attributes: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


def check_attributes(value: Any) -> dict[str, str]:
    """Validate subgroup attributes: short identifier keys, short string values."""
    if not isinstance(value, dict):
        raise ValueError("attributes must be an object of name -> value")
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not re.match(ATTRIBUTE_KEY_PATTERN, key):
            raise ValueError(f"attribute name {key!r} must match {ATTRIBUTE_KEY_PATTERN}")
        if not isinstance(val, str | int | bool) or len(str(val)) > 64 or "\x00" in str(val):
            raise ValueError(f"attribute {key!r}: value must be a short string")
        out[key] = str(val).lower() if isinstance(val, bool) else str(val)
    return out


class ClassroomCreate(ClassroomBase):
    pass


class ClassroomPublic(ClassroomBase):
    id: int
    teacher_ids: list[int] = []
    student_count: int = 0


class EnrolmentCreate(SQLModel):
    student_id: int = Field(ge=1, le=2_147_483_647)
    attributes: dict[str, str] = {}

    @field_validator("attributes", mode="before")
    @classmethod
    def _attrs(cls, value: Any) -> dict[str, str]:
        return check_attributes(value)


class EnrolmentPublic(SQLModel):
    class_id: int
    student_id: int
    username: str
    full_name: str
    attributes: dict[str, str]
