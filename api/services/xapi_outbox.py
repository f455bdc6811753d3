"""The xAPI outbox: statements queued with their answers, claimed and settled by senders.

`queue_statement` runs inside the answer's write transaction (`api.services.answers`):
the statement is stored, or neither it nor the answer is. Senders (`api.xapi_sender`,
one per server process) take rows in batches:

- `claim` marks up to N due rows with the sender's token for a lease. On PostgreSQL the
  candidate rows are locked `FOR UPDATE SKIP LOCKED`, so concurrent senders take
  disjoint batches without waiting; on SQLite the claim is one write transaction (one
  writer at a time), so two senders never see the same unclaimed row either.
- `mark_sent` after the LRS acknowledged the batch; `release` after a failure, with
  the error and when to try again. A sender that dies leaves its rows claimed until the
  lease ends; another sender then takes them. Sending a row twice (a lease that ran out
  during a slow send) is harmless: the statement id is fixed, the LRS keeps it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Text, cast, func, or_, select, update

from api.db import is_sqlite, new_session, write_transaction
from api.services.xapi_statement import RecordedAnswer, SkillResult, answer_statement
from api.settings import Settings
from models.practice import AnswerResult
from models.xapi import XapiOutbox

_T = XapiOutbox.__table__  # type: ignore[attr-defined]
_INSERT = _T.insert()
ERROR_CHARS = 1000


@dataclass(frozen=True)
class Claimed:
    """A claimed row: the statement as the JSON text stored with the answer, sent as is
    (no parse and re-encode per statement on the sender's side)."""

    row_id: int
    attempts: int
    statement_id: str
    statement_json: str


def queue_statement(
    db: Connection,
    settings: Settings,
    result: AnswerResult,
    student_id: int,
    item_id: str,
    answer: str,
    recorded_at: datetime,
) -> None:
    """Queue the statement of a just-logged answer, in the caller's transaction.

    Does nothing while xAPI sending is off: turning it on later sends the answers
    recorded from then on, not the past ones."""
    if not settings.xapi_enabled or settings.xapi_home_page is None:
        return
    assert result.response_id is not None and result.attempt is not None
    recorded = RecordedAnswer(
        response_id=result.response_id,
        student_id=student_id,
        item_id=item_id,
        answer=answer,
        correct=result.correct,
        attempt=result.attempt,
        skills=[SkillResult(m.skill_id, m.mastery, m.mastered) for m in result.mastery],
        recorded_at=recorded_at,
    )
    statement = answer_statement(settings.xapi_home_page, recorded)
    db.execute(
        _INSERT,
        {
            "response_id": result.response_id,
            "statement_id": statement["id"],
            "statement": statement,
            "created_at": recorded_at,
            "next_attempt_at": recorded_at,
            "attempts": 0,
        },
    )


def _due(now: datetime) -> Any:
    return (
        _T.c.sent_at.is_(None),
        _T.c.next_attempt_at <= now,
        or_(_T.c.claimed_until.is_(None), _T.c.claimed_until < now),
    )


def has_due(engine: Engine, now: datetime) -> bool:
    """A cheap read (no write lock): is any row waiting to be claimed?"""
    with engine.connect() as conn:
        return conn.execute(select(_T.c.id).where(*_due(now)).limit(1)).first() is not None


def claim(engine: Engine, token: str, limit: int, lease: timedelta, now: datetime) -> list[Claimed]:
    """Claim up to `limit` due rows, oldest first, for `lease`; see the module doc."""
    if is_sqlite(engine) and not has_due(engine, now):
        return []  # an idle SQLite sender takes no write lock
    candidates = (
        select(_T.c.id)
        .where(*_due(now))
        .order_by(_T.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite: the write lock serialises
    )
    stmt = (
        update(_T)
        .where(_T.c.id.in_(candidates.scalar_subquery()))
        .values(claim_token=token, claimed_until=now + lease)
        .returning(_T.c.id, _T.c.attempts, _T.c.statement_id, cast(_T.c.statement, Text))
    )
    with new_session(engine) as session, write_transaction(session):
        rows = session.connection().execute(stmt).all()
    claimed = (Claimed(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows)
    return sorted(claimed, key=lambda c: c.row_id)


def mark_sent(engine: Engine, row_ids: Sequence[int], now: datetime) -> None:
    """The LRS acknowledged these rows: they are delivered (whoever claims them now)."""
    if not row_ids:
        return
    stmt = (
        update(_T)
        .where(_T.c.id.in_(list(row_ids)), _T.c.sent_at.is_(None))
        .values(sent_at=now, claim_token=None, claimed_until=None, last_error=None)
    )
    with new_session(engine) as session, write_transaction(session):
        session.connection().execute(stmt)


def release(
    engine: Engine, row_ids: Sequence[int], token: str, error: str, retry_at: datetime
) -> None:
    """A send failed: count the attempt, keep the error, make the rows due at `retry_at`.

    Only rows still claimed by `token` are touched: another sender may have taken a row
    whose lease ran out."""
    if not row_ids:
        return
    stmt = (
        update(_T)
        .where(_T.c.id.in_(list(row_ids)), _T.c.claim_token == token, _T.c.sent_at.is_(None))
        .values(
            attempts=_T.c.attempts + 1,
            last_error=error[:ERROR_CHARS],
            next_attempt_at=retry_at,
            claim_token=None,
            claimed_until=None,
        )
    )
    with new_session(engine) as session, write_transaction(session):
        session.connection().execute(stmt)


@dataclass(frozen=True)
class OutboxCounts:
    queued: int  # not yet acknowledged by the LRS
    sent: int
    failing: int  # queued rows that failed at least once


def counts(engine: Engine) -> OutboxCounts:
    with engine.connect() as conn:
        queued, sent, failing = conn.execute(
            select(
                func.count().filter(_T.c.sent_at.is_(None)),
                func.count().filter(_T.c.sent_at.is_not(None)),
                func.count().filter(_T.c.sent_at.is_(None), _T.c.attempts > 0),
            )
        ).one()
    return OutboxCounts(int(queued), int(sent), int(failing))
