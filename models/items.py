"""API schemas of the designers' item bank and item statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel


class ItemPublic(SQLModel):
    """An item for designers: the full definition, answer key and solution included."""

    id: str
    type: str
    skills: list[str]
    retired: bool
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SkillFit(SQLModel):
    skill_id: str
    guess: float | None
    slip: float | None
    responses: int


class ItemStats(SQLModel):
    item_id: str
    skills: list[str]
    retired: bool
    attempts: int
    students: int
    share_correct: float | None
    first_attempt_share_correct: float | None
    guess: float | None = Field(description="fitted per-item guess (first skill), KT-IDEM")
    slip: float | None = Field(description="fitted per-item slip (first skill), KT-IDEM")
    fits: list[SkillFit] = []
    flags: list[str] = Field(
        default=[],
        description="never attempted | guess > 0.5 | slip > 0.3 | mastery-lowering "
        "(guess + slip > 1: a correct answer lowers P(known))",
    )
    note: str | None = None
