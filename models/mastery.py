"""Per-student, per-skill mastery state derived from the response log.

Everything here is a pure function of the log and the active parameters (see
`api.services.replay`): `updated_at` is the logged time of the last response, not
the time the row was written, so a replay reproduces the rows exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, false
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime


class Mastery(SQLModel, table=True):
    student_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    skill_id: str = Field(
        sa_column=Column(String(100), ForeignKey("skill.id"), primary_key=True, index=True)
    )
    mastery: float
    attempts: int = 0
    corrects: int = 0
    correct_streak: int = 0
    wrong_streak: int = 0
    last_step: int = 0
    last_response_id: int | None = None
    last_item_id: str | None = Field(default=None, max_length=100)
    # The skill's model contradicted this student's answers (engine SkillRecord.contradicted).
    contradicted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    updated_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class StudentStateRow(SQLModel, table=True):
    """The recommender's whole per-student state (engine StudentState.to_dict()).

    One row per student, read and written once per answer; the `mastery` rows are
    its per-skill projection for reports and SQL queries.
    """

    __tablename__ = "student_state"
    student_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    step: int = 0
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    last_response_id: int | None = None
