"""The student's loop: what to practise next, and submitting an answer.

An answer is one write transaction (see `submit_answer`):
1. lock: BEGIN IMMEDIATE on SQLite (writers queue); on PostgreSQL the revision row
   FOR SHARE (orders us against activation + replay) and the student's user row FOR
   UPDATE (one answer per student at a time, so attempt numbers and state are exact);
2. INSERT the log row ON CONFLICT (student, idempotency_key) DO NOTHING: a repeated
   key inserts nothing and gets the reply stored for the first submission;
3. update the student's state with `StudentState.record` for every skill the item is
   tagged with, persist state + mastery rows, store the reply; commit.
Unknown or retired items, unreadable answers and bad bodies are refused before
anything is written. Caches (items, graph, parameters, recommender) come from the
per-process snapshot, so the answer path costs a handful of indexed statements.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, text
from sqlmodel import Session, select

from api.db import write_transaction
from api.services.cache import CatalogItem, Snapshot, read_revision
from api.services.errors import Conflict, Invalid
from api.services.mastery import (
    last_response_id,
    load_state,
    load_state_row,
    record_answer,
    save_answer,
)
from api.services.upsert import insert_for
from content.answers import check_answer
from engine.recommend.evidence import Beliefs
from engine.recommend.recommendation import Recommendation
from engine.recommend.state import StudentState
from models.practice import (
    AnswerResult,
    AnswerSubmit,
    NextItems,
    PracticeItem,
    SkillMasteryChange,
    Suggestion,
)
from models.responses import AnswerReply, ResponseLog
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime


def suggestion(snap: Snapshot, rec: Recommendation) -> Suggestion:
    return Suggestion(
        item=PracticeItem.model_validate(dict(snap.items[rec.item_id].student)),
        skill_id=rec.skill_id,
        skill_name=snap.skill_names.get(rec.skill_id, rec.skill_id),
        kind=rec.kind,
        reason=rec.reason,
        related_skill=rec.related,
        numbers=dict(rec.numbers),
    )


def recommend(
    snap: Snapshot, state: StudentState, goal: str | None = None, beliefs: Beliefs | None = None
) -> NextItems:
    """The recommender's top item and two alternatives for this state."""
    if goal is not None and goal not in snap.graph:
        raise Invalid(f"goal: unknown skill {goal!r}")
    recs = snap.recommender.recommend(state, goal=goal, n=3, beliefs=beliefs)
    if not recs:
        return NextItems(
            recommended=None,
            alternatives=[],
            message="no items to practise yet: the curriculum has no active items"
            + (f" for skill {goal!r}" if goal else ""),
        )
    return NextItems(
        recommended=suggestion(snap, recs[0]),
        alternatives=[suggestion(snap, r) for r in recs[1:]],
    )


MEMO_LIMIT = 50_000
STATE_LIMIT = 5_000  # students whose state this process keeps parsed (~10-50 kB each)


def remember(snap: Snapshot, key: tuple[int, int | None, str | None], value: NextItems) -> None:
    if len(snap.memo) >= MEMO_LIMIT:
        snap.memo.clear()
    snap.memo[key] = value


def next_items(
    session: Session, runtime: Runtime, student_id: int, goal: str | None = None
) -> NextItems:
    snap = runtime.cache.get(session)
    found = snap.memo.get((student_id, last_response_id(session, student_id), goal))
    if found is not None:
        return found
    state, last_response = load_state_row(session, student_id)
    found = recommend(snap, state, goal)
    remember(snap, (student_id, last_response, goal), found)
    return found


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


def _usable_item(snap: Snapshot, item_id: str) -> CatalogItem:
    item = snap.items.get(item_id)
    if item is None:
        raise Invalid(f"item_id: unknown item {item_id!r}")
    if item.retired:
        raise Invalid(f"item_id: item {item_id!r} is retired and takes no more answers")
    if not item.skills:
        raise Invalid(f"item_id: item {item_id!r} is not tagged with any skill")
    return item


# Who is answering: the student's id, or a check that returns it (run inside the write
# transaction, so the HTTP route's account check costs no transaction of its own).
StudentRef = int | Callable[[Connection], int]


def submit_answer(
    session: Session, runtime: Runtime, student: StudentRef, body: AnswerSubmit
) -> AnswerResult:
    """Check, log and trace one answer atomically; a repeated key returns the first reply."""
    committed: list[Callable[[], None]] = []  # run once the answer is durable
    with write_transaction(session):
        result = _submit(session, runtime, student, body, committed)
    for hook in committed:
        hook()
    return result


def _submit(
    session: Session,
    runtime: Runtime,
    student: StudentRef,
    body: AnswerSubmit,
    committed: list[Callable[[], None]],
) -> AnswerResult:
    db = session.connection()  # Core statements: no ORM bookkeeping on the hot path
    student_id = student if isinstance(student, int) else student(db)
    if len(body.answer) > runtime.settings.max_answer_chars:
        raise Invalid(f"answer: longer than {runtime.settings.max_answer_chars} characters")
    snap = runtime.cache.get(session, _lock_student(db, student_id))
    if body.goal is not None and body.goal not in snap.graph:
        raise Invalid(f"goal: unknown skill {body.goal!r}")
    item = snap.items.get(body.item_id)
    if item is None or item.retired or not item.skills:
        stored = _stored_reply(session, student_id, body)
        if stored is not None:
            return stored
        item = _usable_item(snap, body.item_id)
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
    return _record(
        session,
        db,
        snap,
        student_id,
        item,
        body,
        check.correct,
        check.feedback,
        check.normalized,
        committed,
    )


def _take_state(snap: Snapshot, db: Connection, student_id: int) -> StudentState:
    """The state this process stored after the student's last answer, if it is still the
    stored one (no other process or replay wrote since); else the stored one, parsed.
    Taken out of the cache: the answer mutates it, and only a commit puts it back."""
    kept = snap.states.pop(student_id, None)
    if kept is not None and kept[0] == last_response_id(db, student_id):
        return kept[1]
    return load_state(db, student_id)


def _record(
    session: Session,
    db: Connection,
    snap: Snapshot,
    student_id: int,
    item: CatalogItem,
    body: AnswerSubmit,
    correct: bool,
    feedback: str,
    normalized: str | None,
    committed: list[Callable[[], None]],
) -> AnswerResult:
    now = utcnow()
    stmt = _log_insert(db.dialect.name)
    values = {
        "student_id": student_id,
        "item_id": item.id,
        "raw_answer": body.answer,
        "normalized": normalized,
        "correct": correct,
        "skills": list(item.skills),
        "idempotency_key": body.idempotency_key,
        "param_set_id": snap.param_set_id,
        "created_at": now,
    }
    inserted = db.execute(stmt, values).first()
    if inserted is None:  # a concurrent submission with this key won the race
        stored = _stored_reply(session, student_id, body)
        if stored is None:
            raise Conflict(f"idempotency_key {body.idempotency_key!r}: submission in progress")
        return stored
    response_id, attempt_no = int(inserted[0]), int(inserted[1])

    state = _take_state(snap, db, student_id)
    before = {s: state.mastery(s, snap.skill_params(s)) for s in item.skills}
    updates = record_answer(state, snap, item.id, item.skills, correct)
    save_answer(db, student_id, state, item.skills, response_id, item.id, now)
    beliefs = snap.recommender.beliefs(state)
    changes = [
        SkillMasteryChange(
            skill_id=s,
            skill_name=snap.skill_names.get(s, s),
            before=before[s],
            mastery=up.mastery,
            p_correct=up.p_correct,
            attempts=state.attempts(s),
            mastered=beliefs.effective.get(s, up.mastery) >= snap.threshold(s),
        )
        for s, up in updates.items()
    ]
    upcoming = recommend(snap, state, body.goal, beliefs)

    def keep() -> None:
        remember(snap, (student_id, response_id, body.goal), upcoming)
        if len(snap.states) >= STATE_LIMIT:
            snap.states.clear()
        snap.states[student_id] = (response_id, state)

    committed.append(keep)
    result = AnswerResult(
        recorded=True,
        response_id=response_id,
        attempt=attempt_no,
        correct=correct,
        feedback=feedback,
        normalized=normalized,
        mastery=changes,
        next=upcoming,
    )
    body_json: dict[str, Any] = result.model_dump(mode="json")
    db.execute(_REPLY_INSERT, {"response_id": response_id, "body": body_json})
    return result


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
