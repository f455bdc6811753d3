"""The family view: what a guardian may read about each linked child, in plain terms.

Every read goes through `guardians.linked_child`, so a guardian reaches only the
students linked to them (404 otherwise, as for an id that does not exist). A summary
holds the standards mastered and in progress, the current goal with its projected
date when the goal service has one, and the last week's practice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.services import guardians, pace
from api.services.mastery import load_state
from api.services.school_time import local, school_day
from api.services.standards_mastery import standard_codes, standards_progress
from api.services.students import skill_rows
from models.family import ChildGoal, ChildPublic, ChildSummary, RecentPractice
from models.responses import ResponseLog
from models.types import utcnow
from models.users import User

if TYPE_CHECKING:
    from api.runtime import Runtime

RECENT_DAYS = 7


def _name(user: User) -> str:
    return user.full_name or user.username


def my_children(session: Session, guardian: User) -> list[ChildPublic]:
    out = []
    for child in guardians.children(session, guardian):
        assert child.id is not None
        out.append(ChildPublic(student_id=child.id, name=_name(child)))
    return out


def recent_practice(
    session: Session,
    student_id: int,
    skill_names: dict[str, str],
    now: datetime,
    zone: tzinfo = UTC,
    days: int = RECENT_DAYS,
) -> RecentPractice:
    """Counts over the last `days` days of the child's answers (the log is the truth);
    days practised are the school's calendar days (`zone`), as is the last practice time."""
    since = now - timedelta(days=days)
    rows = session.exec(
        select(ResponseLog.correct, ResponseLog.skills, ResponseLog.created_at).where(
            ResponseLog.student_id == student_id, col(ResponseLog.created_at) >= since
        )
    ).all()
    last = session.exec(
        select(func.max(ResponseLog.created_at)).where(ResponseLog.student_id == student_id)
    ).one()
    per_skill: Counter[str] = Counter()
    for _correct, skills, _at in rows:
        per_skill.update(skills[:1])  # an answer counts for the skill it was asked about
    return RecentPractice(
        days=days,
        answers=len(rows),
        correct=sum(1 for correct, _s, _at in rows if correct),
        days_practised=len({school_day(at, zone) for _c, _s, at in rows}),
        last_practised_at=None if last is None else local(last, zone),
        skills=[skill_names.get(s, s) for s, _n in per_skill.most_common()],
    )


def current_goal(
    session: Session, runtime: Runtime, student_id: int, now: datetime
) -> ChildGoal | None:
    """The goal service's current goal and pace for the child, or None."""
    found = pace.goal_progress(session, runtime, student_id, now)
    if found is None:
        return None
    return ChildGoal(
        title=found.goal.title,
        target_date=found.goal.target_date,
        skills_mastered=found.mastered,
        skills_total=found.total,
        projected_date=found.pace.projected_date,
        projected_low=found.pace.date_low,
        projected_high=found.pace.date_high,
        status=found.pace.flag,
        reason=found.pace.reason,
    )


def child_summary(
    session: Session, runtime: Runtime, guardian: User, student_id: int
) -> ChildSummary:
    """One linked child's summary; NotFound for any student not linked to `guardian`."""
    child = guardians.linked_child(session, guardian, student_id)
    now = utcnow()
    snap = runtime.cache.recent(session)
    state = load_state(session, student_id)
    skills = skill_rows(snap, state, runtime.settings.stuck_attempts)
    return ChildSummary(
        student_id=student_id,
        name=_name(child),
        standards=standards_progress(skills, standard_codes(session)),
        recent=recent_practice(
            session, student_id, dict(snap.skill_names), now, runtime.settings.zone
        ),
        goal=current_goal(session, runtime, student_id, now),
    )
