"""Everything the class reports read about each student, computed once per request.

The class page shows pace flags, small groups, the equity panel and links to the
standards report together; each needs the students' states, beliefs, current goals
and practice. `class_overview` reads them in a fixed number of queries and computes
each student's beliefs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.services import goals, pace
from api.services.access import visible_class
from api.services.cache import Snapshot
from api.services.classes import class_students
from api.services.school_time import school_day
from engine.recommend.evidence import Beliefs
from engine.recommend.state import StudentState
from models.classes import Classroom, EnrolmentPublic
from models.goals import Goal, PacePublic
from models.responses import ResponseLog
from models.users import User

if TYPE_CHECKING:
    from api.runtime import Runtime


@dataclass(frozen=True)
class StudentOverview:
    enrolment: EnrolmentPublic
    state: StudentState
    beliefs: Beliefs
    mastered: frozenset[str]  # every curriculum skill the student has mastered
    goal: Goal | None
    standing: pace.GoalStanding | None
    pace: PacePublic | None
    recent: tuple[int, float]  # answers in the pace window, days of it practised
    first_answer: datetime | None

    @property
    def name(self) -> str:
        return self.enrolment.full_name or self.enrolment.username


@dataclass(frozen=True)
class ClassOverview:
    classroom: Classroom
    snap: Snapshot
    students: list[StudentOverview]
    now: datetime
    today: date  # the school's calendar day at `now`


def class_overview(
    session: Session, runtime: Runtime, viewer: User, class_id: int, now: datetime | None = None
) -> ClassOverview:
    """Each enrolled student's state, beliefs, mastered skills, current goal and pace."""
    moment = now or datetime.now(UTC)
    today = school_day(moment, runtime.settings.zone)
    classroom = visible_class(session, viewer, class_id)
    snap = runtime.cache.recent(session)
    enrolled = class_students(session, viewer, class_id)
    ids = [e.student_id for e in enrolled]
    states = pace.load_states(session, ids)
    current = goals.current_goals(session, ids, today)
    recent = pace.recent_practice(session, ids, moment)
    firsts = dict(
        session.exec(
            select(ResponseLog.student_id, func.min(ResponseLog.created_at))
            .where(col(ResponseLog.student_id).in_(ids))
            .group_by(col(ResponseLog.student_id))
        ).all()
    )
    rec = snap.recommender
    out = []
    for e in enrolled:
        state = states.get(e.student_id) or StudentState()
        beliefs = rec.beliefs(state)
        mastered = frozenset(s for s in snap.graph.skills if rec.mastered(state, beliefs, s))
        goal = current[e.student_id]
        standing = shown = None
        if goal is not None:
            standing, shown = pace.progress_on(
                snap, state, goal, recent[e.student_id], today, e.student_id, beliefs
            )
        first = firsts.get(e.student_id)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        out.append(
            StudentOverview(
                enrolment=e,
                state=state,
                beliefs=beliefs,
                mastered=mastered,
                goal=goal,
                standing=standing,
                pace=shown,
                recent=recent[e.student_id],
                first_answer=first,
            )
        )
    return ClassOverview(classroom, snap, out, moment, today)
