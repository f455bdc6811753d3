"""Goals with dates: a teacher's target (a unit or a set of skills) for a class or some of
its students, and the API schemas of goals, progress and pace.

A goal keeps the skill ids it was set with (a unit's skills are resolved when the goal is
made), so a later curriculum edit does not silently change what was asked of students.
`whole_class` goals apply to everyone enrolled, now or later; the others to the students
listed in `goal_student`. Goals are archived, not deleted, so a report can still name them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import field_validator, model_validator
from sqlalchemy import Column, Date, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, no_nul, utcnow

MAX_GOAL_SKILLS = 200
MAX_GOAL_STUDENTS = 500


class Goal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("classroom.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    title: str = Field(max_length=200)
    unit_id: str | None = Field(default=None, max_length=100)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    target_date: date = Field(sa_column=Column(Date(), nullable=False))
    whole_class: bool = True
    archived: bool = False
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class GoalStudent(SQLModel, table=True):
    __tablename__ = "goal_student"
    goal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True)
    )
    student_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class GoalCreate(SQLModel):
    """A unit (`unit_id`) or a set of skills (`skills`), not both; `student_ids` None
    (or left out) means the whole class."""

    title: str = Field(default="", max_length=200)
    unit_id: str | None = Field(default=None, min_length=1, max_length=100)
    skills: list[str] = Field(default_factory=list, max_length=MAX_GOAL_SKILLS)
    target_date: date
    student_ids: list[int] | None = Field(default=None, max_length=MAX_GOAL_STUDENTS)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return no_nul(value).strip()

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        for i, s in enumerate(value):
            if not s or len(s) > 100 or "\x00" in s:
                raise ValueError(f"skills[{i}]: a skill id of 1 to 100 characters")
        return list(dict.fromkeys(value))

    @field_validator("student_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        for i, s in enumerate(value):
            if not 1 <= s <= 2_147_483_647:
                raise ValueError(f"student_ids[{i}]: not a valid id ({s})")
        if not value:
            raise ValueError("student_ids: name at least one student, or leave it out")
        return sorted(set(value))

    @model_validator(mode="after")
    def _unit_or_skills(self) -> GoalCreate:
        if (self.unit_id is None) == (not self.skills):
            raise ValueError("give either unit_id or skills (a non-empty list), not both")
        return self


class GoalPublic(SQLModel):
    id: int
    class_id: int
    title: str
    unit_id: str | None
    skills: list[str]
    target_date: date
    whole_class: bool
    student_ids: list[int]
    created_at: datetime


class PacePublic(SQLModel):
    """A projection for one student and goal (see `engine.pace` for how it is made)."""

    flag: str = Field(description="on track, at risk or behind")
    reason: str = Field(description="why, in words")
    remaining_skills: int
    attempts: float = Field(description="expected further answers (mean of the draws)")
    attempts_low: float
    attempts_high: float
    projected_date: date | None = Field(description="median date; None without recent practice")
    date_low: date | None
    date_high: date | None
    answers_per_day: float | None = Field(description="recent answers / days in the window")
    recent_answers: int
    window_days: float
    capped: bool = Field(description="some draws hit the cap: the late end is a lower bound")


class GoalSkillProgress(SQLModel):
    skill_id: str
    skill_name: str
    mastered: bool
    mastery: float


class StudentGoal(SQLModel):
    """A student's current goal, how far they are, and the pace projection."""

    student_id: int
    goal: GoalPublic
    skills: list[GoalSkillProgress]
    mastered: int
    total: int
    pace: PacePublic


class StudentPaceRow(SQLModel):
    student_id: int
    username: str
    full_name: str
    mastered: int
    total: int
    pace: PacePublic


class GoalPace(SQLModel):
    goal: GoalPublic
    students: list[StudentPaceRow]


def goal_public(goal: Goal, student_ids: list[int]) -> GoalPublic:
    assert goal.id is not None
    return GoalPublic(
        id=goal.id,
        class_id=goal.class_id,
        title=goal.title,
        unit_id=goal.unit_id,
        skills=list(goal.skills),
        target_date=goal.target_date,
        whole_class=goal.whole_class,
        student_ids=student_ids,
        created_at=goal.created_at,
    )
