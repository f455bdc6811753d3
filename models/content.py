"""Curriculum tables: units, skills, prerequisites, items and their skill tags.

Each row keeps the full definition JSON from the curriculum file (what the answer
checker and recommender are rebuilt from) plus indexed columns for queries. Items
are retired, never deleted, because the response log refers to them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow

ID_MAX = 100


class CurriculumInfo(SQLModel, table=True):
    """The imported curriculum's own fields (id, name, description); one row."""

    __tablename__ = "curriculum_info"
    id: int = Field(default=1, primary_key=True)
    curriculum_id: str = Field(max_length=ID_MAX)
    name: str = Field(max_length=4000)
    description: str = ""
    imported_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Unit(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=ID_MAX)
    title: str = Field(default="", max_length=4000)
    position: int = 0
    retired: bool = False
    definition: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


class Skill(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=ID_MAX)
    name: str = Field(default="", max_length=4000)
    unit_id: str | None = Field(
        default=None,
        sa_column=Column(String(ID_MAX), ForeignKey("unit.id"), nullable=True, index=True),
    )
    position: int = 0
    retired: bool = False  # dropped from the curriculum; kept because the log refers to it
    definition: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


class Prerequisite(SQLModel, table=True):
    skill_id: str = Field(
        sa_column=Column(
            String(ID_MAX), ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True
        )
    )
    requires_id: str = Field(
        sa_column=Column(
            String(ID_MAX), ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True
        )
    )


class Item(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=ID_MAX)
    kind: str = Field(default="", max_length=32, index=True)
    position: int = 0
    retired: bool = Field(default=False, index=True)
    definition: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ItemSkill(SQLModel, table=True):
    __tablename__ = "item_skill"
    item_id: str = Field(
        sa_column=Column(
            String(ID_MAX), ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
        )
    )
    skill_id: str = Field(
        sa_column=Column(String(ID_MAX), ForeignKey("skill.id"), primary_key=True, index=True)
    )
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
