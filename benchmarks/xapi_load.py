"""The xAPI side of the load benchmark (benchmarks.load --xapi on|both [--lrs-outage]).

With sending on, the service under load queues one statement per answer and its
senders post them to a real LRS (benchmarks.lrs_server: Ralph, on loopback, on the same
machine, so its CPU is part of what the service competes with). `Outage` stops the LRS
during the first measured phase and starts it again on the same port. After the
phases, with the service still running, `drain` waits until the outbox is empty and
`count` compares the answers the clients saw acknowledged with what the LRS holds:
none missing, none twice, nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from api.db import make_engine
from api.services import xapi_outbox
from api.services.xapi_statement import statement_id
from api.settings import Settings
from benchmarks.lrs_server import LrsServer

HOME = "http://pathways.load.test"
DRAIN_TIMEOUT_S = 300.0


def xapi_env(lrs: LrsServer) -> dict[str, str]:
    """The service's xAPI settings (production defaults otherwise: batch 200, poll 1 s)."""
    return {
        "PATHWAYS_XAPI_ENABLED": "true",
        "PATHWAYS_XAPI_ENDPOINT": lrs.endpoint,
        "PATHWAYS_XAPI_USERNAME": lrs.username,
        "PATHWAYS_XAPI_PASSWORD": lrs.password,
        "PATHWAYS_XAPI_HOME_PAGE": HOME,
        "PATHWAYS_XAPI_MAX_BACKOFF_SECONDS": "5",
    }


class Outage:
    """Stop the LRS at `down_at` (time.time()) and start it again at `up_at`."""

    def __init__(self, lrs: LrsServer, down_at: float, up_at: float) -> None:
        self.lrs = lrs
        self.down_at, self.up_at = down_at, up_at
        self.events: list[str] = []
        self._thread = threading.Thread(target=self._run, name="lrs-outage", daemon=True)

    def _run(self) -> None:
        time.sleep(max(0.0, self.down_at - time.time()))
        self.lrs.stop()
        self.events.append(f"LRS stopped at {time.time():.1f}")
        time.sleep(max(0.0, self.up_at - time.time()))
        self.lrs.start()
        self.events.append(f"LRS started again at {time.time():.1f}")

    def __enter__(self) -> Outage:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thread.join()


def drain(settings: Settings) -> tuple[float, xapi_outbox.OutboxCounts]:
    """Wait until every queued statement was acknowledged; (seconds waited, counts)."""
    engine = make_engine(settings)
    start = time.monotonic()
    try:
        while True:
            counts = xapi_outbox.counts(engine)
            if counts.queued == 0 or time.monotonic() - start > DRAIN_TIMEOUT_S:
                return time.monotonic() - start, counts
            time.sleep(0.5)
    finally:
        engine.dispose()


@dataclass
class StatementCount:
    answers_acknowledged: int
    statements_received: int  # lines in the LRS's store, duplicates included
    distinct_received: int
    missing: int  # acknowledged answers without a statement
    duplicated: int  # statements stored more than once
    foreign: int  # statements for no acknowledged answer
    outbox_queued_after_drain: int
    outbox_failing_after_drain: int
    drain_seconds: float

    @property
    def ok(self) -> bool:
        return self.missing == self.duplicated == self.foreign == 0


def count(
    lrs: LrsServer, acked: list[tuple[int, str, int]], waited: float, left: Any
) -> dict[str, Any]:
    """Acknowledged answers vs statements in the LRS (see the module doc)."""
    received = Counter(s["id"] for s in lrs.statements())
    expected = {statement_id(HOME, rid) for _, _, rid in acked}
    result = StatementCount(
        answers_acknowledged=len(acked),
        statements_received=sum(received.values()),
        distinct_received=len(received),
        missing=len(expected - set(received)),
        duplicated=sum(1 for n in received.values() if n > 1),
        foreign=len(set(received) - expected),
        outbox_queued_after_drain=left.queued,
        outbox_failing_after_drain=left.failing,
        drain_seconds=round(waited, 1),
    )
    return {**asdict(result), "ok": result.ok}


def lrs_root(root: Path) -> Path:
    return root / "lrs"
