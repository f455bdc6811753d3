"""Submitting an answer: check, log and trace it in one write transaction.

An answer is one write transaction (see `submit_answer`):
1. lock: BEGIN IMMEDIATE on SQLite (writers queue, see api.db.WriterLock); on
   PostgreSQL the revision row FOR SHARE (orders us against activation + replay) and
   the student's user row FOR UPDATE (one answer per student at a time, so attempt
   numbers and state are exact);
2. INSERT the log row ON CONFLICT (student, idempotency_key) DO NOTHING: a repeated
   key inserts nothing and gets the reply stored for the first submission;
3. update the student's state with `StudentState.record` for every skill the item is
   tagged with, persist state + mastery rows, store the reply; commit.
The BKT update and the next recommendation of step 3 are normally computed before
the lock (`_Guess`), on the state this process kept after the student's last answer,
and only checked under it. Unknown or retired items, unreadable answers and bad
bodies are refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeGuard

from sqlalchemy import Connection, bindparam, func, text
from sqlmodel import Session, select

from api.db import write_transaction
from api.services.cache import CatalogItem, Snapshot, fresh_item, read_revision
from api.services.errors import Conflict, Invalid
from api.services.lti_scores import queue_scores
from api.services.mastery import last_response_id, load_state, record_answer, save_answer
from api.services.practice import recommend, remember
from api.services.upsert import insert_for
from api.services.xapi_outbox import queue_statement
from content.answers import check_answer
from engine.recommend.state import StudentState
from models.practice import AnswerResult, AnswerSubmit, NextItems, SkillMasteryChange
from models.responses import AnswerReply, ResponseLog
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime

STATE_LIMIT = 5_000  # students whose state this process keeps parsed (~10-50 kB each)


def _lock_student(db: Connection, student_id: int) -> tuple[int, int]:
    """Serialise with other writers; returns the revision read under the lock."""
    if db.dialect.name == "postgresql":
        row = db.execute(_REVISION_FOR_SHARE).first()
        db.execute(_LOCK_USER, {"id": student_id})
        return (0, 0) if row is None else (int(row[0]), int(row[1]))
    return read_revision(db)


_REVISION_FOR_SHARE = text("SELECT content, params FROM revision WHERE id = 1 FOR SHARE")
_LOCK_USER = text('SELECT id FROM "user" WHERE id = :id FOR NO KEY UPDATE')


def _stored_reply(session: Session, student_id: int, body: AnswerSubmit) -> AnswerResult | None:
    """The reply to an earlier submission with this key; Conflict if its body differed."""
    found = session.exec(
        select(ResponseLog.id, ResponseLog.item_id, ResponseLog.raw_answer, AnswerReply.body)
        .join(AnswerReply, AnswerReply.response_id == ResponseLog.id)  # type: ignore[arg-type]
        .where(
            ResponseLog.student_id == student_id,
            ResponseLog.idempotency_key == body.idempotency_key,
        )
    ).first()
    if found is None:
        return None
    _, item_id, raw, reply = found
    if item_id != body.item_id or raw != body.answer:
        raise Conflict(
            f"idempotency_key {body.idempotency_key!r} was already used for a different "
            f"answer (item {item_id!r}); use a new key for a new answer"
        )
    return AnswerResult.model_validate(reply)


def _answerable(item: CatalogItem | None) -> TypeGuard[CatalogItem]:
    return item is not None and not item.retired and bool(item.skills)


def _refuse(item: CatalogItem | None, item_id: str) -> CatalogItem:
    """The item if it can take answers, else Invalid saying why not."""
    if item is None:
        raise Invalid(f"item_id: unknown item {item_id!r}")
    if item.retired:
        raise Invalid(f"item_id: item {item_id!r} is retired and takes no more answers")
    if not item.skills:
        raise Invalid(f"item_id: item {item_id!r} is not tagged with any skill")
    return item


AccountCheck = Callable[[Connection], object]


@dataclass
class _Traced:
    """An answer applied to a state: everything the reply needs but its log row."""

    state: StudentState
    changes: list[SkillMasteryChange]
    upcoming: NextItems


@dataclass
class _Guess:
    """The answer traced before the write lock, on this process's copy of the state.

    Under the SQLite write lock (one writer at a time, across workers) the answer path
    only has to log and store; the BKT update and the next recommendation, most of its
    CPU, are computed beforehand. The guess holds if, under the lock, the snapshot is
    still current and the stored state still ends with `last_id`; else it is dropped
    and the answer traced again from the stored state.
    """

    snap: Snapshot
    last_id: int
    item: CatalogItem
    correct: bool
    feedback: str
    normalized: str | None
    traced: _Traced


def submit_answer(
    session: Session,
    runtime: Runtime,
    student_id: int,
    body: AnswerSubmit,
    check_account: AccountCheck | None = None,
) -> AnswerResult:
    """Check, log and trace one answer atomically; a repeated key returns the first reply.

    `check_account` runs first inside the write transaction (the HTTP route's token
    check, so it costs no transaction of its own); it raises to refuse.
    """
    guess = _guess(runtime, student_id, body)
    committed: list[Callable[[], None]] = []  # run once the answer is durable
    with write_transaction(session):
        result = _submit(session, runtime, student_id, body, check_account, guess, committed)
    for hook in committed:
        hook()
    return result


def _guess(runtime: Runtime, student_id: int, body: AnswerSubmit) -> _Guess | None:
    """Trace the answer without the lock when this process holds the student's state."""
    snap = runtime.cache.current()
    if snap is None or len(body.answer) > runtime.settings.max_answer_chars:
        return None
    item = snap.items.get(body.item_id)
    if not _answerable(item):
        return None
    if body.goal is not None and body.goal not in snap.graph:
        return None
    check = check_answer(item.content, body.answer)
    if check.error is not None:
        return None
    kept = snap.states.pop(student_id, None)  # ours alone now: tracing mutates it
    if kept is None:
        return None
    last_id, state = kept
    traced = _trace(snap, state, item, check.correct, body.goal)
    return _Guess(snap, last_id, item, check.correct, check.feedback, check.normalized, traced)


def _submit(
    session: Session,
    runtime: Runtime,
    student_id: int,
    body: AnswerSubmit,
    check_account: AccountCheck | None,
    guess: _Guess | None,
    committed: list[Callable[[], None]],
) -> AnswerResult:
    db = session.connection()  # Core statements: no ORM bookkeeping on the hot path
    if check_account is not None:
        check_account(db)
    if len(body.answer) > runtime.settings.max_answer_chars:
        raise Invalid(f"answer: longer than {runtime.settings.max_answer_chars} characters")
    revision = _lock_student(db, student_id)
    # While a large content change is being taken in (api.services.cache), the snapshot
    # may lag the content; the answered item is then checked against its row.
    snap, exact = runtime.cache.for_answer(session, revision)
    if not exact and body.goal is not None and body.goal not in snap.graph:
        snap, exact = runtime.cache.get(session, revision), True
    current = snap.items.get(body.item_id) if exact else fresh_item(db, snap, body.item_id)
    if guess is not None and (guess.snap is not snap or guess.item is not current):
        guess = None
    if guess is not None:
        item, correct, feedback, normalized = (
            guess.item,
            guess.correct,
            guess.feedback,
            guess.normalized,
        )
    else:
        if body.goal is not None and body.goal not in snap.graph:
            raise Invalid(f"goal: unknown skill {body.goal!r}")
        found = current
        if not _answerable(found):
            stored = _stored_reply(session, student_id, body)
            if stored is not None:
                return stored
            found = _refuse(found, body.item_id)
        item = found
        check = check_answer(item.content, body.answer)
        if check.error is not None:
            stored = _stored_reply(session, student_id, body)
            if stored is not None:
                return stored
            return AnswerResult(
                recorded=False,
                correct=False,
                feedback=check.feedback,
                error=check.error,
                normalized=check.normalized,
            )
        correct, feedback, normalized = check.correct, check.feedback, check.normalized

    now = utcnow()
    inserted = db.execute(
        _log_insert(db.dialect.name),
        {
            "student_id": student_id,
            "item_id": item.id,
            "raw_answer": body.answer,
            "normalized": normalized,
            "correct": correct,
            "skills": list(item.skills),
            "idempotency_key": body.idempotency_key,
            "param_set_id": snap.param_set_id,
            "created_at": now,
        },
    ).first()
    if inserted is None:  # the key was used before (a retry), or a concurrent submission
        stored = _stored_reply(session, student_id, body)
        if stored is None:
            raise Conflict(f"idempotency_key {body.idempotency_key!r}: submission in progress")
        return stored
    response_id, attempt_no = int(inserted[0]), int(inserted[1])

    stored_last = last_response_id(db, student_id)
    if guess is not None and guess.last_id == stored_last:
        traced = guess.traced
    else:  # no guess, or another process (or a replay) wrote the state since
        traced = _trace(snap, load_state(db, student_id), item, correct, body.goal)
    save_answer(db, student_id, traced.state, item.skills, response_id, item.id, now)
    result = AnswerResult(
        recorded=True,
        response_id=response_id,
        attempt=attempt_no,
        correct=correct,
        feedback=feedback,
        normalized=normalized,
        mastery=traced.changes,
        next=traced.upcoming,
    )
    body_json: dict[str, Any] = result.model_dump(mode="json")
    db.execute(_REPLY_INSERT, {"response_id": response_id, "body": body_json})
    queue_scores(db, student_id, response_id, now)  # LTI grade passback, sent in the background
    # learning record (xAPI): queued in this transaction, sent later by api.xapi_sender
    queue_statement(db, runtime.settings, result, student_id, item.id, body.answer, now)

    def keep() -> None:
        remember(snap, (student_id, response_id, body.goal), traced.upcoming)
        if len(snap.states) >= STATE_LIMIT:
            snap.states.clear()
        snap.states[student_id] = (response_id, traced.state)

    committed.append(keep)
    return result


def _trace(
    snap: Snapshot, state: StudentState, item: CatalogItem, correct: bool, goal: str | None
) -> _Traced:
    """Apply the answer to `state` (in place) and recommend what comes next."""
    before = {s: state.mastery(s, snap.skill_params(s)) for s in item.skills}
    updates = record_answer(state, snap, item.id, item.skills, correct)
    beliefs = snap.recommender.beliefs(state)
    changes = [
        SkillMasteryChange(
            skill_id=s,
            skill_name=snap.skill_names.get(s, s),
            before=before[s],
            mastery=up.mastery,
            p_correct=up.p_correct,
            attempts=state.attempts(s),
            mastered=snap.recommender.mastered(state, beliefs, s)
            if s in snap.graph
            else up.mastery >= snap.threshold(s),
        )
        for s, up in updates.items()
    ]
    return _Traced(state, changes, recommend(snap, state, goal, beliefs))


_LOG = ResponseLog.__table__  # type: ignore[attr-defined]
_REPLY = AnswerReply.__table__  # type: ignore[attr-defined]
_REPLY_INSERT = _REPLY.insert()


@lru_cache(maxsize=4)
def _log_insert(dialect: str) -> Any:
    """INSERT the log row, attempt = prior attempts + 1, unless the key was used."""
    attempt = (
        select(func.count() + 1)
        .select_from(_LOG)
        .where(_LOG.c.student_id == bindparam("student_id"), _LOG.c.item_id == bindparam("item_id"))
        .scalar_subquery()
    )
    columns = (
        "student_id",
        "item_id",
        "raw_answer",
        "normalized",
        "correct",
        "skills",
        "idempotency_key",
        "param_set_id",
        "created_at",
    )
    stmt = insert_for(dialect, _LOG).values(
        {**{c: bindparam(c) for c in columns}, "attempt": attempt}
    )
    return stmt.on_conflict_do_nothing(index_elements=["student_id", "idempotency_key"]).returning(
        _LOG.c.id, _LOG.c.attempt
    )
