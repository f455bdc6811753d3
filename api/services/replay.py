"""Rebuild every mastery row and student state from the response log, in log order.

The result equals what the answers produced incrementally (same `StudentState.record`
calls on the same logged skills, same parameters), which the tests check exactly.
Run after activating a parameter set, or to repair derived state. The whole rebuild is
one write transaction that also holds off new answers: BEGIN IMMEDIATE on SQLite; on
PostgreSQL the revision row is updated first, which waits for answers in flight (they
hold it FOR SHARE) and makes new ones wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.cache import Catalog, CatalogCache, bump_revision, read_revision
from api.services.mastery import mastery_row, record_answer, state_row
from engine.recommend.state import StudentState
from models.mastery import Mastery, StudentStateRow
from models.responses import ResponseLog

Progress = Callable[[int, int], None]
BATCH = 5_000


@dataclass(frozen=True)
class ReplayResult:
    responses: int
    students: int
    mastery_rows: int


def replay_into(session: Session, snap: Catalog, progress: Progress | None = None) -> ReplayResult:
    """The rebuild itself; the caller holds the write transaction."""
    total = session.exec(select(func.count()).select_from(ResponseLog)).one()
    states: dict[int, StudentState] = {}
    last_state_response: dict[int, int] = {}
    last_touch: dict[tuple[int, str], tuple[int, str, datetime]] = {}
    done = 0
    query = sa_select(
        col(ResponseLog.id),
        col(ResponseLog.student_id),
        col(ResponseLog.item_id),
        col(ResponseLog.correct),
        col(ResponseLog.skills),
        col(ResponseLog.created_at),
    ).order_by(col(ResponseLog.id))
    for rid, student, item, correct, skills, at in session.execute(
        query.execution_options(yield_per=BATCH)
    ):
        state = states.get(student)
        if state is None:
            state = states[student] = StudentState()
        record_answer(state, snap, item, skills, bool(correct))
        last_state_response[student] = rid
        for s in skills:
            last_touch[(student, s)] = (rid, item, at)
        done += 1
        if progress is not None and (done % BATCH == 0 or done == total):
            progress(done, total)
    session.execute(delete(Mastery))
    session.execute(delete(StudentStateRow))
    state_rows = [state_row(sid, st, last_state_response[sid]) for sid, st in states.items()]
    rows = [
        mastery_row(sid, skill, states[sid], rid, item, at)
        for (sid, skill), (rid, item, at) in last_touch.items()
    ]
    for start in range(0, len(state_rows), BATCH):
        session.execute(StudentStateRow.__table__.insert(), state_rows[start : start + BATCH])  # type: ignore[attr-defined]
    for start in range(0, len(rows), BATCH):
        session.execute(Mastery.__table__.insert(), rows[start : start + BATCH])  # type: ignore[attr-defined]
    if progress is not None and total == 0:
        progress(0, 0)
    return ReplayResult(responses=done, students=len(states), mastery_rows=len(rows))


def replay(
    session: Session, cache: CatalogCache | None = None, progress: Progress | None = None
) -> ReplayResult:
    """Recompute all mastery from the log with the active parameters (own transaction)."""
    cache = cache or CatalogCache()
    with write_transaction(session):
        # takes the row lock (see module doc); every process drops its snapshot and the
        # student states it kept, which were traced before this rebuild
        bump_revision(session, params=True)
        snap = cache.get(session, read_revision(session))
        return replay_into(session, snap, progress)
