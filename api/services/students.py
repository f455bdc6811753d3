"""A student's mastery overview and answer history (ownership checked by the caller's role)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.services.access import visible_student
from api.services.cache import Snapshot
from api.services.mastery import load_state
from engine.recommend.state import StudentState
from models.practice import HistoryEntry, SkillMasteryPublic, StudentHistory, StudentMastery
from models.responses import ResponseLog
from models.users import User

if TYPE_CHECKING:
    from api.runtime import Runtime


def skill_rows(
    snap: Snapshot, state: StudentState, stuck_attempts: int
) -> list[SkillMasteryPublic]:
    """Every curriculum skill for one student, in curriculum order."""
    beliefs = snap.recommender.beliefs(state)
    out = []
    for skill in snap.skills:
        p = snap.skill_params(skill)
        mastery = state.mastery(skill, p)
        threshold = snap.threshold(skill)
        effective = beliefs.effective.get(skill, mastery)
        attempts = state.attempts(skill)
        if skill in snap.graph:
            mastered = snap.recommender.mastered(state, beliefs, skill)
        else:
            mastered = effective >= threshold
        out.append(
            SkillMasteryPublic(
                skill_id=skill,
                skill_name=snap.skill_names.get(skill, skill),
                mastery=mastery,
                effective=effective,
                threshold=threshold,
                attempts=attempts,
                corrects=state.correct_count(skill),
                mastered=mastered,
                stuck=attempts >= stuck_attempts and not mastered,
            )
        )
    return out


def student_mastery(
    session: Session, runtime: Runtime, viewer: User, student_id: int
) -> StudentMastery:
    student = visible_student(session, viewer, student_id)
    snap = runtime.cache.recent(session)
    state = load_state(session, student_id)
    return StudentMastery(
        student_id=student_id,
        username=student.username,
        skills=skill_rows(snap, state, runtime.settings.stuck_attempts),
    )


def student_history(
    session: Session, viewer: User, student_id: int, limit: int = 100, offset: int = 0
) -> StudentHistory:
    """Newest answers first."""
    student = visible_student(session, viewer, student_id)
    total = session.exec(
        select(func.count()).select_from(ResponseLog).where(ResponseLog.student_id == student_id)
    ).one()
    rows = session.exec(
        select(ResponseLog)
        .where(ResponseLog.student_id == student_id)
        .order_by(col(ResponseLog.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return StudentHistory(
        student_id=student_id,
        username=student.username,
        total=total,
        entries=[
            HistoryEntry(
                response_id=r.id or 0,
                item_id=r.item_id,
                skills=list(r.skills),
                answer=r.raw_answer,
                correct=r.correct,
                attempt=r.attempt,
                created_at=r.created_at.isoformat(),
            )
            for r in rows
        ],
    )
