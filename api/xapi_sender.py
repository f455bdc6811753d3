"""The background sender of one server process: outbox rows to the LRS, in batches.

The answer path only writes an outbox row (`api.services.xapi_outbox`); this thread
claims due rows, POSTs them as one batch to ENDPOINT/statements and marks them sent
once the LRS acknowledged them (200, or 204 when it had them all already). Nothing it
does holds up an answer beyond the short write transactions of a claim and a mark (on
SQLite, one per batch; an idle sender only reads).

Failures keep every statement queued and say why in the log, with the next try:
- the LRS unreachable or answering 5xx / 429: retried with exponential backoff (up to
  PATHWAYS_XAPI_MAX_BACKOFF_SECONDS, jittered so several workers do not retry in step);
- 401 / 403: the LRS refuses the credentials; logged as an error naming the settings to
  check, retried with the same backoff (fixing the LRS's side needs no restart here);
- 400 / 409 / 413 for a batch: it is split in halves and each sent on its own, so one
  statement the LRS refuses cannot hold back the others; that one keeps its error in
  `last_error` and is retried with backoff, never dropped.

Several processes each run a sender: claims (leases) keep their batches apart. On an
in-memory SQLite database (tests) there is one shared connection, so no thread is
started; tests call `run_once` instead.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from api.services import xapi_outbox
from api.services.xapi_outbox import Claimed
from api.services.xapi_statement import VERSION
from api.settings import Settings
from models.types import utcnow

logger = logging.getLogger("pathways.xapi")

BASE_BACKOFF_S = 0.5
SPLIT_STATUSES = frozenset({400, 409, 413})
AUTH_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class SendOutcome:
    claimed: int
    sent: int
    failed: int
    error: str | None = None


class SendFailed(Exception):
    """The LRS did not acknowledge a batch; `status` is its HTTP status (None: no reply)."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class StatementSender:
    """Claims, sends and settles outbox rows; `start()` runs it in a daemon thread."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not settings.xapi_enabled or settings.xapi_endpoint is None:
            raise ValueError("StatementSender needs PATHWAYS_XAPI_ENABLED and its settings")
        self.engine = engine
        self.settings = settings
        self.url = settings.xapi_endpoint + "/statements"
        password = settings.xapi_password.get_secret_value() if settings.xapi_password else ""
        self._client = client or httpx.Client(
            auth=(settings.xapi_username or "", password),
            timeout=settings.xapi_timeout_seconds,
            headers={"X-Experience-API-Version": VERSION},
        )
        self._rng = rng or random.Random()
        self._clock = clock
        self.token = uuid.uuid4().hex
        self.lease = timedelta(seconds=2 * settings.xapi_timeout_seconds + 30)
        self.failures = 0  # consecutive failed sends: the backoff's exponent
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- one round

    def run_once(self) -> SendOutcome:
        """Claim one batch, send it, settle it; raises nothing for LRS trouble."""
        now = self._clock()
        batch = xapi_outbox.claim(
            self.engine, self.token, self.settings.xapi_batch_size, self.lease, now
        )
        if not batch:
            return SendOutcome(0, 0, 0)
        sent, failed, errors = self._send(batch)
        if failed:
            self.failures += 1
        else:
            if self.failures:
                logger.warning(
                    "xAPI: LRS at %s acknowledges statements again (%d sent)", self.url, sent
                )
            self.failures = 0
        return SendOutcome(len(batch), sent, failed, "; ".join(errors) or None)

    def _send(self, batch: Sequence[Claimed]) -> tuple[int, int, list[str]]:
        """Send `batch`; (sent, failed, errors). Splits a batch the LRS refuses (see doc)."""
        try:
            self._post(batch)
        except SendFailed as exc:
            if exc.status in SPLIT_STATUSES and len(batch) > 1:
                half = len(batch) // 2
                s1, f1, e1 = self._send(batch[:half])
                s2, f2, e2 = self._send(batch[half:])
                return s1 + s2, f1 + f2, e1 + e2
            self._failed(batch, str(exc), exc.status)
            return 0, len(batch), [str(exc)]
        xapi_outbox.mark_sent(self.engine, [c.row_id for c in batch], self._clock())
        return len(batch), 0, []

    def _post(self, batch: Sequence[Claimed]) -> None:
        try:
            body = "[" + ",".join(c.statement_json for c in batch) + "]"
            reply = self._client.post(
                self.url, content=body.encode(), headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise SendFailed(
                f"LRS unreachable at {self.url}: {type(exc).__name__}: {exc}", None
            ) from None
        if reply.status_code in (200, 204):
            return
        detail = reply.text[:300].strip()
        if reply.status_code in AUTH_STATUSES:
            raise SendFailed(
                f"LRS at {self.url} refused the credentials (HTTP {reply.status_code}: "
                f"{detail}); check PATHWAYS_XAPI_USERNAME and PATHWAYS_XAPI_PASSWORD",
                reply.status_code,
            )
        raise SendFailed(
            f"LRS at {self.url} did not accept {len(batch)} statement(s) "
            f"(HTTP {reply.status_code}: {detail})",
            reply.status_code,
        )

    def backoff_seconds(self, failures: int) -> float:
        """Exponential in the consecutive failures, capped, with jitter (50-100 %)."""
        cap = self.settings.xapi_max_backoff_seconds
        delay = min(cap, BASE_BACKOFF_S * 2 ** max(0, failures - 1))
        return delay * (0.5 + 0.5 * self._rng.random())

    def _failed(self, batch: Sequence[Claimed], error: str, status: int | None) -> None:
        attempts = max(c.attempts for c in batch) + 1
        delay = self.backoff_seconds(max(self.failures + 1, attempts))
        retry_at = self._clock() + timedelta(seconds=delay)
        xapi_outbox.release(self.engine, [c.row_id for c in batch], self.token, error, retry_at)
        refused = status in AUTH_STATUSES or status in SPLIT_STATUSES  # needs a person
        log = logger.error if refused else logger.warning
        first = min(batch, key=lambda c: c.row_id).statement_id
        log(
            "xAPI: %s; %d statement(s) stay queued (first %s, attempt %d), next try in %.1f s",
            error,
            len(batch),
            first,
            attempts,
            delay,
        )

    # ---- the thread

    def start(self) -> StatementSender:
        if isinstance(self.engine.pool, StaticPool):
            return self  # in-memory database: no second connection (see the module doc)
        self._thread = threading.Thread(target=self._loop, name="pathways-xapi", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._client.close()

    def _loop(self) -> None:
        poll = self.settings.xapi_poll_seconds
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
            except SQLAlchemyError as exc:  # database busy or gone: the rows stay queued
                logger.warning("xAPI: outbox not readable (%s); retrying", type(exc).__name__)
                self._stop.wait(self.backoff_seconds(self.failures + 1))
                continue
            if outcome.failed:
                delay = self.backoff_seconds(self.failures)
            elif outcome.claimed >= self.settings.xapi_batch_size:
                delay = 0.0  # more are waiting
            else:
                delay = poll
            self._stop.wait(delay)


@asynccontextmanager
async def xapi_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: a running sender (`app.state.xapi_sender`) while it serves."""
    runtime = app.state.runtime
    if not runtime.settings.xapi_enabled:
        yield
        return
    sender = StatementSender(runtime.engine, runtime.settings).start()
    app.state.xapi_sender = sender
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(sender.stop)
