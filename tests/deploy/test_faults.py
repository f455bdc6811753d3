"""Faults under continuous answering: no acknowledged answer lost or stored twice.

Twelve students answer through HAProxy without pause, each retrying an answer with
its idempotency key until it is acknowledged (tests/utils/answer_driver.py). While
they do, one fault: a node killed with SIGKILL and started again; a rolling restart
(each node drained, stopped gracefully and started in turn); PgBouncer restarted;
PostgreSQL restarted (fast shutdown). Afterwards, read straight from PostgreSQL:

- every acknowledged answer is stored exactly once under its key, with the response
  id its reply named (a retry got the first reply), and nothing else is stored;
- each student's answers are stored in the order they were given;
- replaying the log gives exactly the stored states and mastery.

Each test prints, and writes to tests/artifacts/faults/FAULT.json, the answers
acknowledged / stored / duplicated, the error rate the clients saw from the fault's
start until the end of the run, and the time from the fault's start to the last error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.db import make_engine
from api.services.cache import CatalogCache
from api.services.replay import replay
from api.settings import load_settings
from deploy.cluster import Cluster
from tests.utils.answer_driver import AnswerDriver
from tests.utils.queries import derived_state

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.postgres]

WARM_S = 3.0  # answering before the fault
AFTER_S = 6.0  # answering after the fault's last step
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "faults"


def _kill_a_node(cluster: Cluster) -> None:
    cluster.kill_node(0)
    time.sleep(2.0)  # the other node serves alone meanwhile
    cluster.start_node(0)


FAULTS: dict[str, Callable[[Cluster], None]] = {
    "kill_node": _kill_a_node,
    "rolling_restart": Cluster.rolling_restart,
    "restart_pgbouncer": Cluster.restart_pgbouncer,
    "restart_postgres": Cluster.restart_postgres,
}

_STORED = text(
    'SELECT u.username, r.idempotency_key, r.id FROM response_log r JOIN "user" u '
    "ON u.id = r.student_id ORDER BY r.id"
)


def _stored(cluster: Cluster) -> list[tuple[str, str, int]]:
    engine = make_engine(load_settings(database_url=cluster.database_url))
    try:
        with engine.connect() as conn:
            return [(str(u), str(k), int(i)) for u, k, i in conn.execute(_STORED)]
    finally:
        engine.dispose()


def _replay_equals_stored(cluster: Cluster, tmp_path: Path) -> bool:
    settings = load_settings(database_url=cluster.database_url, data_dir=tmp_path / "replay")
    engine = make_engine(settings)
    try:
        before = derived_state(engine)
        from sqlmodel import Session

        with Session(engine) as session:
            replay(session, CatalogCache())
        return derived_state(engine) == before
    finally:
        engine.dispose()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_acknowledged_answer_is_stored_once_through_the_fault(
    fault: str, cluster: Cluster, tokens: dict[str, str], tmp_path: Path
) -> None:
    driver = AnswerDriver(cluster.url, tokens).start()
    time.sleep(WARM_S)
    started = time.monotonic()
    acked_before = len(driver.acknowledged())
    FAULTS[fault](cluster)
    fault_done = time.monotonic()
    time.sleep(AFTER_S)
    driver.stop()
    ended = time.monotonic()

    acknowledged = driver.acknowledged()
    rows = _stored(cluster)
    keys = [(name, key) for name, key, _ in rows]
    duplicated = len(keys) - len(set(keys))
    stored = {(name, key): rid for name, key, rid in rows}
    attempts, failed = driver.window(started, ended)
    last_error = driver.last_error_after(started)
    acked_after = sum(a.at > fault_done for s in driver.students for a in s.attempts if a.ok)
    figures: dict[str, Any] = {
        "fault": fault,
        "nodes": len(cluster.nodes),
        "students": len(tokens),
        "acknowledged": len(acknowledged),
        "acknowledged_before_fault": acked_before,
        "acknowledged_after_fault": acked_after,
        "stored": len(rows),
        "duplicated": duplicated,
        "retried_acknowledgements": sum(s.retried for s in driver.students),
        "fault_seconds": round(fault_done - started, 3),
        "attempts_from_fault": attempts,
        "failed_from_fault": failed,
        "client_error_rate": round(failed / attempts, 4) if attempts else 0.0,
        "errors_by_status": driver.statuses(started, ended),
        "recovery_seconds": round(last_error - started, 3) if last_error else 0.0,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{fault}.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))

    assert "500" not in figures["errors_by_status"], "a bare 500 instead of a clear 503"
    assert duplicated == 0
    assert stored == acknowledged  # each acknowledged once, with its first reply's id; no more
    for student in driver.students:  # per-student order: ids grow with the answer number
        ids = [stored[(student.name, f"{student.name}-{n}")] for n in range(len(student.acked))]
        assert ids == sorted(ids), student.name
    assert acked_after > 0, "no answer acknowledged after the fault: the service did not recover"
    assert last_error is None or last_error < ended - 1.0, "clients still failing at the end"
    assert _replay_equals_stored(cluster, tmp_path)
