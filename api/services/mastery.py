"""Per-student mastery state: load it, apply one answer, persist it.

The recommender's `StudentState` is the state (engine.recommend.state): each answer
is recorded on every skill the item is tagged with, in tag order, through
`StudentState.record`, i.e. `engine.trace.update` with the active parameters after
the state's opportunity-based decay. It is stored whole in `student_state`, and its
per-skill records are projected into `mastery` rows for reports. Both are derived
from the response log only, so `replay` can rebuild them bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from api.services.cache import Catalog
from api.services.upsert import Executor, upsert
from engine.recommend.state import StudentState
from engine.trace import Update
from models.mastery import Mastery, StudentStateRow

_STATE = StudentStateRow.__table__  # type: ignore[attr-defined]
_STATE_SQL = select(_STATE.c.state, _STATE.c.last_response_id).where(
    _STATE.c.student_id == bindparam("sid")
)


def load_state_row(session: Executor, student_id: int) -> tuple[StudentState, int | None]:
    """The student's state and the last response it includes (Core query: hot path)."""
    row = session.execute(_STATE_SQL, {"sid": student_id}).first()
    if row is None:
        return StudentState(), None
    return StudentState.from_dict(row[0]), row[1]


_LAST_SQL = select(_STATE.c.last_response_id).where(_STATE.c.student_id == bindparam("sid"))


def last_response_id(session: Executor, student_id: int) -> int | None:
    """Which answer the stored state ends with (None: no answers yet); no JSON parsing."""
    return session.execute(_LAST_SQL, {"sid": student_id}).scalar()


def load_state(session: Executor, student_id: int) -> StudentState:
    return load_state_row(session, student_id)[0]


def record_answer(
    state: StudentState, snap: Catalog, item_id: str, skills: Iterable[str], correct: bool
) -> dict[str, Update]:
    """Apply one answer to every tagged skill; returns each skill's BKT update."""
    return {s: state.record(s, item_id, correct, snap.skill_params(s)) for s in skills}


def mastery_row(
    student_id: int,
    skill: str,
    state: StudentState,
    response_id: int | None,
    item_id: str | None,
    at: datetime | None,
) -> dict[str, Any]:
    """The skill's row; `mastery` as of its last practice (before any later decay)."""
    return {
        "student_id": student_id,
        "skill_id": skill,
        "mastery": state.skills[skill].mastery,
        "attempts": state.attempts(skill),
        "corrects": state.correct_count(skill),
        "correct_streak": state.correct_streak(skill),
        "wrong_streak": state.fail_streak(skill),
        "last_step": state.last_step(skill),
        "last_response_id": response_id,
        "last_item_id": item_id,
        "contradicted": state.skills[skill].contradicted,
        "updated_at": at,
    }


def state_row(student_id: int, state: StudentState, response_id: int | None) -> dict[str, Any]:
    return {
        "student_id": student_id,
        "step": state.step,
        "state": state.to_dict(),
        "last_response_id": response_id,
    }


def save_answer(
    session: Executor,
    student_id: int,
    state: StudentState,
    skills: Iterable[str],
    response_id: int,
    item_id: str,
    at: datetime,
) -> None:
    """Persist the state and the mastery rows of the skills this answer touched."""
    upsert(
        session,
        StudentStateRow.__table__,  # type: ignore[attr-defined]
        [state_row(student_id, state, response_id)],
        ["student_id"],
    )
    upsert(
        session,
        Mastery.__table__,  # type: ignore[attr-defined]
        [mastery_row(student_id, s, state, response_id, item_id, at) for s in skills],
        ["student_id", "skill_id"],
    )
