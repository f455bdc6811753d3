"""The background score sender of one server process: LTI outbox rows to line items.

The answer path only writes outbox rows (`api.services.lti_scores.queue_scores`);
this thread claims due rows (a lease: their `next_attempt_at` moves a minute on, so
another process's sender leaves them alone), folds the rows of one student and link
into one score computed now, posts it if it changed, and marks the rows sent. A
failure (the platform down, a refused token) keeps the rows, with the error, and
retries them with exponential backoff and jitter, never dropping them. Sent rows
are deleted after a day.

Runs while the app serves (the LTI router's lifespan). On an in-memory SQLite
database (tests) there is one shared connection, so no thread starts; tests call
`run_once`.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, select

from api.db import new_session, write_transaction
from api.services.errors import Invalid
from api.services.lti_keys import LtiKeyUnreadable
from api.services.lti_scores import post_score, score_of
from api.services.lti_tokens import ServiceUnavailable
from models.lti import LtiGradeTarget, LtiLink, LtiPlatform, LtiScoreOutbox
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime

logger = logging.getLogger("pathways.lti")

LEASE = timedelta(seconds=60)
BASE_BACKOFF_S = 2.0
MAX_BACKOFF_S = 3600.0
BATCH = 200
KEEP_SENT = timedelta(days=1)


@dataclass(frozen=True)
class SendOutcome:
    targets: int  # scores computed
    posted: int  # scores the platform accepted
    unchanged: int  # same as last accepted: not sent again
    failed: int


class ScoreSender:
    def __init__(
        self,
        runtime: Runtime,
        *,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.client = client or httpx.Client(timeout=10)
        self.rng = rng or random.Random()
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def backoff_seconds(self, attempts: int) -> float:
        """Exponential in the failed attempts, capped, with up to 50 % jitter."""
        wait = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** max(0, attempts - 1))
        return wait * (1 + 0.5 * self.rng.random())

    def _claim(self, session: Session) -> dict[int, list[LtiScoreOutbox]]:
        now = self.clock()
        with write_transaction(session):
            rows = session.exec(
                select(LtiScoreOutbox)
                .where(
                    col(LtiScoreOutbox.sent_at).is_(None),
                    col(LtiScoreOutbox.next_attempt_at) <= now,
                )
                .order_by(col(LtiScoreOutbox.id))
                .limit(BATCH)
            ).all()
            ids = [r.id for r in rows]
            if ids:
                session.execute(
                    update(LtiScoreOutbox)
                    .where(col(LtiScoreOutbox.id).in_(ids))
                    .values(next_attempt_at=now + LEASE)
                )
        by_target: dict[int, list[LtiScoreOutbox]] = {}
        for row in rows:
            by_target.setdefault(row.target_id, []).append(row)
        return by_target

    def run_once(self) -> SendOutcome:
        """Claim due rows and settle them (the thread's step; tests call it directly)."""
        posted = unchanged = failed = 0
        with new_session(self.runtime.engine) as session:
            claimed = self._claim(session)
            for target_id, rows in claimed.items():
                try:
                    sent = self._settle(session, target_id)
                except (ServiceUnavailable, Invalid, LtiKeyUnreadable) as exc:
                    # LtiKeyUnreadable: this node's key-encryption key is wrong; the score
                    # stays queued with the reason until the node is started with the right one
                    failed += 1
                    self._failed(session, rows, str(exc.args[0] if exc.args else exc))
                    continue
                self._sent(session, rows, target_id, sent)
                posted += sent is not None
                unchanged += sent is None
            self._clean(session)
        return SendOutcome(len(claimed), posted, unchanged, failed)

    def _settle(self, session: Session, target_id: int) -> float | None:
        """Post the target's current score; its value if posted, None if unchanged."""
        target = session.get(LtiGradeTarget, target_id)
        link = session.get(LtiLink, target.link_id) if target is not None else None
        platform = session.get(LtiPlatform, link.platform_id) if link is not None else None
        if target is None or link is None or platform is None or not link.lineitem_url:
            return None
        score = score_of(session, self.runtime, link, target.user_id)
        fraction = score.given / score.maximum if score.maximum else 0.0
        session.commit()  # end the read transaction before the network call
        if target.last_score is not None and abs(target.last_score - fraction) < 1e-9:
            return None
        post_score(
            session, self.client, platform, link.lineitem_url, target.sub, score, self.clock()
        )
        return fraction

    def _sent(
        self, session: Session, rows: list[LtiScoreOutbox], target_id: int, value: float | None
    ) -> None:
        now = self.clock()
        with write_transaction(session):
            session.execute(
                update(LtiScoreOutbox)
                .where(col(LtiScoreOutbox.id).in_([r.id for r in rows]))
                .values(sent_at=now, last_error=None)
            )
            if value is not None:
                session.execute(
                    update(LtiGradeTarget)
                    .where(col(LtiGradeTarget.id) == target_id)
                    .values(last_score=value, last_sent_at=now)
                )

    def _failed(self, session: Session, rows: list[LtiScoreOutbox], error: str) -> None:
        now = self.clock()
        with write_transaction(session):
            for row in rows:
                attempts = row.attempts + 1
                session.execute(
                    update(LtiScoreOutbox)
                    .where(col(LtiScoreOutbox.id) == row.id)
                    .values(
                        attempts=attempts,
                        last_error=error[:1000],
                        next_attempt_at=now + timedelta(seconds=self.backoff_seconds(attempts)),
                    )
                )
        logger.warning("LTI score not sent (%d rows kept, retried later): %s", len(rows), error)

    def _clean(self, session: Session) -> None:
        cutoff = self.clock() - KEEP_SENT
        with write_transaction(session):
            session.execute(
                delete(LtiScoreOutbox).where(
                    col(LtiScoreOutbox.sent_at).is_not(None), col(LtiScoreOutbox.sent_at) < cutoff
                )
            )

    # ---- the thread

    def start(self) -> ScoreSender:
        self._thread = threading.Thread(target=self._loop, name="pathways-lti", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
            except SQLAlchemyError as exc:  # the database is busy or gone: try again later
                logger.warning("LTI score sender: %s", str(exc).splitlines()[0])
                outcome = SendOutcome(0, 0, 0, 0)
            if outcome.targets == 0:
                self._stop.wait(self.poll_seconds)


@asynccontextmanager
async def lti_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """A running score sender (`app.state.lti_sender`) while the app serves."""
    runtime: Runtime = app.state.runtime
    if isinstance(runtime.engine.pool, StaticPool):
        yield
        return
    sender = ScoreSender(runtime).start()
    app.state.lti_sender = sender
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(sender.stop)
