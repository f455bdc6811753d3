"""The answer path's protocol (api.services.answers): one test per case it covers.

An answer is traced before the write lock on this process's kept copy of the student's
state (`Snapshot.states`); under the lock the copy is used only if neither the snapshot
nor the stored state moved since, else it is dropped and the answer traced again from
the stored state. Each test names the case; each also checks the invariant the
protocol keeps: the stored state is what the log says.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from api.db import new_session, write_transaction
from api.runtime import Runtime
from api.services import answers, items, practice
from api.services import params as params_service
from api.services.cache import read_revision
from api.services.errors import Invalid
from api.services.mastery import load_state, load_state_row, record_answer
from api.services.replay import replay
from api.settings import Settings
from engine.recommend.state import StudentState
from models.practice import AnswerResult, AnswerSubmit, NextItems
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.db import make_test_settings, migrated_engine
from tests.utils.queries import derived_state, written_counts


def _send(
    rt: Runtime, student_id: int, item: str, text: str, key: str, goal: str | None = None
) -> AnswerResult:
    body = AnswerSubmit(item_id=item, answer=text, idempotency_key=key, goal=goal)
    with new_session(rt.engine) as s:
        return answers.submit_answer(s, rt, student_id, body)


def _kept(rt: Runtime, student_id: int) -> tuple[int, StudentState] | None:
    """The (last response id, state) this process kept for the student, if any."""
    snap = rt.cache.current()
    return None if snap is None else snap.states.get(student_id)


def _student(session: Session, rt: Runtime) -> int:
    f.load_curriculum(session)
    student_id = f.make_user(session, rt, Role.student).id
    assert student_id is not None
    return student_id


def _replays_exactly(session: Session, rt: Runtime) -> None:
    """Mastery and states equal the replay of the log (the protocol's invariant)."""
    incremental = derived_state(rt.engine)
    replay(session, rt.cache)
    assert derived_state(rt.engine) == incremental


def _settle(session: Session, rt: Runtime) -> None:
    """Wait for a background catalog rebuild (a snapshot lagging content) to finish."""
    deadline = time.monotonic() + 30
    while True:
        snap = rt.cache.current()
        revision = read_revision(session)
        session.rollback()  # no read transaction left open (tests share one connection)
        if snap is not None and snap.revision == revision:
            return
        assert time.monotonic() < deadline, "the catalog snapshot was never rebuilt"
        time.sleep(0.01)


@pytest.fixture
def lagging(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    """A runtime on a database with a real connection pool (an SQLite file, or
    PostgreSQL): after a content change its snapshot lags while it is rebuilt in the
    background, and an answer is checked against the answered item's row meanwhile."""
    url = None if database_url.startswith("sqlite") else database_url
    settings = make_test_settings(tmp_path / "lagging", database_url=url)
    with migrated_engine(settings) as engine:
        rt = Runtime.create(settings, engine)
        yield rt
        rt.jobs.shutdown()


def test_guess_reused_when_neither_the_snapshot_nor_the_stored_state_moved(
    session: Session, runtime: Runtime
) -> None:
    student = _student(session, runtime)
    first = _send(runtime, student, "eq1", RIGHT["eq1"], "a")
    kept = _kept(runtime, student)
    assert kept is not None and kept[0] == first.response_id
    second = _send(runtime, student, "ad1", WRONG["ad1"], "b")
    after = _kept(runtime, student)
    assert after is not None and after[0] == second.response_id
    # the very copy traced before the lock was stored: nothing was reloaded or re-traced
    assert after[1] is kept[1]
    assert after[1].step == 2
    _replays_exactly(session, runtime)


def test_guess_dropped_and_retraced_when_parameters_were_activated_in_between(
    session: Session, runtime: Runtime, settings: Settings
) -> None:
    other = Runtime.create(settings, runtime.engine)  # another process activates
    student = _student(session, runtime)
    _send(runtime, student, "eq1", RIGHT["eq1"], "a")
    _send(runtime, student, "eq2", WRONG["eq2"], "b")
    old_snap = runtime.cache.current()
    kept = _kept(runtime, student)
    assert old_snap is not None and kept is not None
    with write_transaction(session):
        stored = params_service.store_param_set(session, f.other_params(), source="test")
    assert stored.id is not None
    params_service.activate(session, other, stored.id)  # replays the log with the new set
    with new_session(runtime.engine) as s:
        expected = record_answer(load_state(s, student), other.cache.get(s), "eq1", ["equiv"], True)
    stale_copy = StudentState.from_dict(kept[1].to_dict())
    stale = record_answer(stale_copy, old_snap, "eq1", ["equiv"], True)
    assert stale["equiv"].mastery != expected["equiv"].mastery  # the case is telling

    reply = _send(runtime, student, "eq1", RIGHT["eq1"], "c")
    [change] = reply.mastery
    assert change.mastery == expected["equiv"].mastery
    assert change.p_correct == expected["equiv"].p_correct
    assert runtime.cache.current() is not old_snap
    after = _kept(runtime, student)
    assert after is not None and after[1] is not kept[1]
    _replays_exactly(session, runtime)


def test_guess_dropped_and_retraced_when_another_process_wrote_the_stored_state(
    session: Session, runtime: Runtime, settings: Settings
) -> None:
    other = Runtime.create(settings, runtime.engine)  # a second worker: its own caches
    student = _student(session, runtime)
    _send(runtime, student, "eq1", RIGHT["eq1"], "a")
    kept = _kept(runtime, student)
    assert kept is not None
    _send(other, student, "ad1", RIGHT["ad1"], "b")  # the stored state moves on
    third = _send(runtime, student, "eq2", RIGHT["eq2"], "c")
    with new_session(runtime.engine) as s:
        state, last = load_state_row(s, student)
    assert last == third.response_id
    assert state.step == 3  # the other worker's answer is in it: the kept copy was dropped
    assert state.attempts("add") == 1 and state.attempts("equiv") == 2
    after = _kept(runtime, student)
    assert after is not None and after[1] is not kept[1]
    _replays_exactly(session, runtime)


def test_guess_dropped_when_the_answered_item_was_retired_in_between(
    session: Session, runtime: Runtime
) -> None:
    student = _student(session, runtime)
    _send(runtime, student, "eq1", RIGHT["eq1"], "a")
    assert _kept(runtime, student) is not None  # so the next answer is traced first
    items.set_retired(session, "eq1", True)  # the snapshot this process holds still has it
    before = written_counts(runtime.engine)
    with pytest.raises(Invalid, match="retired"):
        _send(runtime, student, "eq1", RIGHT["eq1"], "b")
    assert written_counts(runtime.engine) == before
    _settle(session, runtime)
    _replays_exactly(session, runtime)


def test_guess_dropped_when_the_answered_item_changed_while_the_snapshot_lags(
    lagging: Runtime,
) -> None:
    rt = lagging
    with new_session(rt.engine) as session:
        student = _student(session, rt)
        assert _send(rt, student, "eq1", "2/4", "a").correct
        definition = dict(items.get_item(session, "eq1").definition)
        items.update_item(session, "eq1", {**definition, "answer": {"value": "3/4"}})
        session.rollback()
        snap = rt.cache.current()
        assert snap is not None and snap.revision != read_revision(session)  # it lags
        # traced before the lock as right (the kept snapshot's key); checked again
        # under the lock against the item's row, where 2/4 is now wrong
        reply = _send(rt, student, "eq1", "2/4", "b")
        assert reply.recorded and not reply.correct
        [change] = reply.mastery
        assert change.mastery < change.before and change.attempts == 2
        _settle(session, rt)
        assert written_counts(rt.engine)["log"] == 2


def test_idempotent_resend_after_a_traced_guess_stores_nothing_and_the_next_answer_is_exact(
    session: Session, runtime: Runtime
) -> None:
    student = _student(session, runtime)
    _send(runtime, student, "eq1", RIGHT["eq1"], "a")
    first = _send(runtime, student, "ad1", WRONG["ad1"], "b")
    assert _kept(runtime, student) is not None  # the resend is traced before the lock
    counts, derived = written_counts(runtime.engine), derived_state(runtime.engine)
    again = _send(runtime, student, "ad1", WRONG["ad1"], "b")
    assert again == first
    assert written_counts(runtime.engine) == counts
    assert derived_state(runtime.engine) == derived
    kept = _kept(runtime, student)
    assert kept is None or kept[1].step == 2  # the resend's traced copy was not kept
    third = _send(runtime, student, "eq2", RIGHT["eq2"], "c")
    assert third.attempt == 1
    with new_session(runtime.engine) as s:
        assert load_state(s, student).step == 3
    _replays_exactly(session, runtime)


def _same_recommendations(got: NextItems, want: NextItems) -> None:
    """The same items, kinds and reasons; the numbers to 1e-12 (PostgreSQL's JSONB hands
    the stored state's maps back in its own key order, and sums over them can round
    differently in the last bit than on the copy kept in memory)."""
    assert got.message == want.message
    offered, expected = [got.recommended, *got.alternatives], [want.recommended, *want.alternatives]
    assert len(offered) == len(expected)
    for g, w in zip(offered, expected, strict=True):
        assert (g is None) == (w is None)
        if g is not None and w is not None:
            assert g.model_dump(exclude={"numbers"}) == w.model_dump(exclude={"numbers"})
            assert g.numbers == pytest.approx(w.numbers, rel=1e-12, abs=1e-12)


def test_reply_next_recommendation_is_the_one_for_the_stored_state(
    session: Session, runtime: Runtime, settings: Settings
) -> None:
    other = Runtime.create(settings, runtime.engine)
    reader = Runtime.create(settings, runtime.engine)  # no memo: recommends from the row
    student = _student(session, runtime)
    steps = [
        (runtime, "eq1", RIGHT["eq1"], None),  # no kept copy yet: traced under the lock
        (runtime, "ad1", WRONG["ad1"], None),  # guess reused
        (runtime, "eq2", RIGHT["eq2"], "equiv"),  # guess reused, with a goal
        (other, "ad3", RIGHT["ad3"], None),  # another worker moves the stored state
        (runtime, "mu1", WRONG["mu1"], "add"),  # guess dropped, re-traced
        (runtime, "ad2", RIGHT["ad2"], None),  # guess reused on the re-traced copy
    ]
    for n, (rt, item, text, goal) in enumerate(steps):
        reply = _send(rt, student, item, text, f"k{n}", goal)
        assert reply.recorded and reply.next is not None
        with new_session(runtime.engine) as s:
            _same_recommendations(reply.next, practice.next_items(s, reader, student, goal))
    _replays_exactly(session, runtime)
