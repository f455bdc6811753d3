"""Crash durability: SIGKILL the server in the middle of answering, start it again.

`pathways serve` (one process, and `--workers 2`) on an SQLite file takes answers from
students who answer without pause; then every process of the server gets SIGKILL at
once (no shutdown of any kind), and `pathways serve` starts again on the same data
directory. A third case kills only the parent of `--workers 2` (as the OOM killer
may): its workers must stop (api.lifecycle), and the restart on the same port must
succeed (before, the orphaned workers kept the port and went on writing). Checked:

- every answer the server acknowledged is stored, exactly once, under the id it
  said (a commit is durable: WAL, synchronous=FULL);
- every answer in flight at the crash (sent, no reply) is sent again with the same
  idempotency key: each is then stored exactly once - the resend finds the row if the
  first attempt committed, else stores it - never twice;
- nothing else is stored, and replaying the log reproduces mastery exactly (an
  answer's derived rows committed with it, or not at all).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from api.db import make_engine
from api.services.cache import CatalogCache
from api.services.replay import replay
from benchmarks.live_server import free_port
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.live_service import Serve, seed, service_env, settings_for, token
from tests.utils.queries import derived_state

pytestmark = pytest.mark.slow

STUDENTS = 16
ACKED_BEFORE_CRASH = 60  # answers acknowledged before the crash (however slow the machine)
WAIT_S = 120.0
ITEMS = sorted(set(RIGHT) - {"csv1", "csv2"})


@dataclass
class Ledger:
    """What the students sent, and what the server acknowledged."""

    sent: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    acked: dict[tuple[int, str], int] = field(default_factory=dict)  # -> response id
    failures: list[str] = field(default_factory=list)


async def _answer(
    client: httpx.AsyncClient, sid: int, auth: dict[str, str], ledger: Ledger, crashed: Any
) -> None:
    rng = random.Random(sid)
    for n in itertools.count():
        if crashed.is_set():
            return
        item = rng.choice(ITEMS)
        body = {
            "item_id": item,
            "answer": RIGHT[item] if rng.random() < 0.6 else WRONG[item],
            "idempotency_key": f"s{sid}-n{n}",
        }
        ledger.sent[(sid, body["idempotency_key"])] = body
        try:
            reply = await client.post("/api/practice/answers", json=body, headers=auth)
        except httpx.TransportError:
            return  # the server is gone: this one is unacknowledged
        if reply.status_code != 200 or not reply.json().get("recorded"):
            ledger.failures.append(f"{body['idempotency_key']}: {reply.status_code}")
            return
        ledger.acked[(sid, body["idempotency_key"])] = int(reply.json()["response_id"])


def _drive(base_url: str, tokens: dict[int, dict[str, str]], ledger: Ledger, crashed: Any) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            await asyncio.gather(
                *(_answer(client, sid, auth, ledger, crashed) for sid, auth in tokens.items())
            )

    asyncio.run(main())


def _stored(database: Path) -> list[tuple[int, str, int]]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        rows = db.execute("SELECT student_id, idempotency_key, id FROM response_log").fetchall()
    return [(int(u), str(k), int(i)) for u, k, i in rows]


def _port_free(port: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize(
    ("workers", "kill"),
    [(1, "all"), (2, "all"), (2, "parent")],
    ids=["one-process", "two-workers", "two-workers-parent-only"],
)
def test_a_killed_server_loses_no_acknowledged_answer_and_stores_resends_once(
    tmp_path: Path, workers: int, kill: str
) -> None:
    data = tmp_path / "data"
    env = service_env(data)
    seeded = seed(env, students=STUDENTS)
    args = ("--workers", str(workers)) if workers > 1 else ()
    ledger = Ledger()
    crashed = threading.Event()
    port = free_port()
    first = Serve(env, port, args).start()
    try:
        first.wait_ready(workers=workers)
        tokens = {sid: token(first.base_url, name) for name, sid in seeded.students.items()}
        driver = threading.Thread(target=_drive, args=(first.base_url, tokens, ledger, crashed))
        driver.start()
        deadline = time.monotonic() + WAIT_S
        while len(ledger.acked) < ACKED_BEFORE_CRASH and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.process is not None
        if kill == "all":
            os.killpg(first.process.pid, signal.SIGKILL)  # every process of the server at once
        else:
            os.kill(first.process.pid, signal.SIGKILL)  # the supervisor alone
        crashed.set()
        driver.join()
        assert _port_free(port, 30.0), "the killed server's workers still hold the port"
    finally:
        first.kill_group()
    assert not ledger.failures, ledger.failures[:5]
    unacked = [k for k in ledger.sent if k not in ledger.acked]
    assert len(ledger.acked) >= ACKED_BEFORE_CRASH, len(ledger.acked)

    again = Serve(env, port, args).start()  # the same port: a plain restart
    try:
        again.wait_ready(workers=workers)
        stored = _stored(data / "pathways.db")
        keys = [(u, k) for u, k, _ in stored]
        assert len(keys) == len(set(keys)), "an answer is stored twice"
        by_key = {(u, k): i for u, k, i in stored}
        lost = [k for k, rid in ledger.acked.items() if by_key.get(k) != rid]
        assert not lost, f"{len(lost)} acknowledged answers lost or moved: {lost[:5]}"
        assert set(by_key) <= set(ledger.sent), "stored but never sent"
        committed_unacked = sum(k in by_key for k in unacked)
        # the unacknowledged ones, sent again with their keys
        tokens = {sid: token(again.base_url, name) for name, sid in seeded.students.items()}
        with httpx.Client(base_url=again.base_url, timeout=60) as client:
            for sid, key in unacked:
                reply = client.post(
                    "/api/practice/answers", json=ledger.sent[(sid, key)], headers=tokens[sid]
                )
                assert reply.status_code == 200 and reply.json()["recorded"], reply.text
                ledger.acked[(sid, key)] = int(reply.json()["response_id"])
        after = _stored(data / "pathways.db")
    finally:
        again.stop()
    counts: dict[tuple[int, str], int] = {}
    for u, k, _ in after:
        counts[(u, k)] = counts.get((u, k), 0) + 1
    assert all(counts.get(k) == 1 for k in unacked), "a resend stored a second row"
    assert {(u, k): i for u, k, i in after} == ledger.acked  # everything, once, nothing else
    print(
        f"crash ({workers} process(es), killed {kill}): {len(ledger.acked) - len(unacked)} "
        "acknowledged, all "
        f"stored once; {len(unacked)} in flight ({committed_unacked} had committed), "
        f"resent: {len(unacked)} rows, one each"
    )

    engine = make_engine(settings_for(env))
    try:
        derived = derived_state(engine)
        with Session(engine, expire_on_commit=False) as s:
            replay(s, CatalogCache())
        assert derived_state(engine) == derived
    finally:
        engine.dispose()
