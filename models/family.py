"""What a guardian reads about one child: API schemas only (no tables of their own).

Everything is derived from the child's stored state and the answer log when read, so
it always agrees with what the child's teacher sees.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import SQLModel


class StandardStatus(StrEnum):
    mastered = "mastered"  # every skill under the standard is mastered
    in_progress = "in_progress"  # some practice or some mastered, not all
    not_started = "not_started"  # no answer on any of its skills yet


class StandardProgress(SQLModel):
    """One curriculum standard code (or, for a skill without one, that skill alone)."""

    code: str | None  # None: a skill the curriculum gives no standard code
    skills: list[str]  # the skills' names, in curriculum order
    mastered: int  # how many of them are mastered
    total: int
    status: StandardStatus


class RecentPractice(SQLModel):
    """The child's answers in the last `days` days."""

    days: int
    answers: int
    correct: int
    days_practised: int
    last_practised_at: datetime | None  # the newest answer ever, even before the window
    skills: list[str]  # names of the skills practised in the window, most practised first


class ChildGoal(SQLModel):
    """The goal the child works toward, and when they would reach it at their pace."""

    title: str
    target_date: date
    skills_mastered: int  # of the goal's skills
    skills_total: int
    projected_date: date | None  # None: not enough recent practice to project
    projected_low: date | None
    projected_high: date | None
    status: str  # "on track", "at risk" or "behind" (the pace projection's flag)
    reason: str  # the projection's reason, in English (the page words its own)


class ChildSummary(SQLModel):
    student_id: int
    name: str
    standards: list[StandardProgress]
    recent: RecentPractice
    goal: ChildGoal | None


class ChildPublic(SQLModel):
    student_id: int
    name: str
