"""`pathways backup` while a real server takes answers; `pathways restore` elsewhere.

A plain copy of pathways.db taken while the server ran missed answers still in the
write-ahead log (52 of 3,183). Here students answer over HTTP without pause while
`pathways backup` runs beside the server (SQLite's online backup API; pg_dump on
PostgreSQL). The backup is restored into another, empty database, and there:

- every answer acknowledged before the backup started is stored, under the id the
  student was told, and nothing is there that was never acknowledged;
- replaying the log reproduces the stored mastery and states exactly (the copy is one
  consistent moment, derived tables and log together);
- restoring again into the now non-empty database is refused (exit 2, one line).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from api.db import make_engine
from api.services.cache import CatalogCache
from api.services.replay import replay
from benchmarks.live_server import LiveServer
from models.responses import ResponseLog
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM, WRONG
from tests.utils.live_service import PATHWAYS, seed, service_env, settings_for, token
from tests.utils.queries import derived_state

pytestmark = pytest.mark.slow

STUDENTS = 12
BEFORE = 60  # answers acknowledged before the backup starts (however slow the machine)
AFTER = 20  # and after it has finished
WAIT_S = 120.0
ITEMS = sorted(set(RIGHT) - {"csv1", "csv2"})
_databases = itertools.count(1)


@dataclass
class Acked:
    student: int
    key: str
    response_id: int
    at: float  # time.time() when the reply arrived


@dataclass
class Load:
    acked: list[Acked] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


async def _student(client: httpx.AsyncClient, sid: int, auth: dict[str, str], load: Load) -> None:
    rng = random.Random(sid)
    for n in itertools.count():
        if load.stop.is_set():
            return
        item = rng.choice(ITEMS)
        key = f"s{sid}-n{n}"
        body = {
            "item_id": item,
            "answer": RIGHT[item] if rng.random() < 0.6 else WRONG[item],
            "idempotency_key": key,
        }
        for _ in range(5):  # a lost reply is resent with the same key
            try:
                reply = await client.post("/api/practice/answers", json=body, headers=auth)
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        else:
            load.failures.append(f"{key}: no reply")
            continue
        if reply.status_code != 200 or not reply.json()["recorded"]:
            load.failures.append(f"{key}: {reply.status_code} {reply.text[:200]}")
            continue
        load.acked.append(Acked(sid, key, int(reply.json()["response_id"]), time.time()))


def _answer_until_stopped(base_url: str, tokens: dict[int, dict[str, str]], load: Load) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            await asyncio.gather(*(_student(client, sid, a, load) for sid, a in tokens.items()))

    asyncio.run(main())


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _pathways(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PATHWAYS, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(
    params=[
        pytest.param("sqlite-file", id="sqlite-file"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The server's environment and that of an empty database to restore into."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        source = server.create_database(f"pathways_backup_src{next(_databases)}")
        target = server.create_database(f"pathways_backup_dst{next(_databases)}")
    else:
        source = target = ""
    yield (
        service_env(tmp_path / "data", source),
        service_env(tmp_path / "restored", target),
    )


def test_a_backup_under_load_restores_every_acknowledged_answer(
    databases: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    env, elsewhere = databases
    seeded = seed(env, students=STUDENTS, curriculum=SMALL_CURRICULUM)
    backup = tmp_path / "backup.pathways"
    load = Load()
    with LiveServer("api.main:create_app", env=env) as server:
        tokens = {sid: token(server.base_url, name) for name, sid in seeded.students.items()}
        driver = threading.Thread(
            target=_answer_until_stopped, args=(server.base_url, tokens, load)
        )
        driver.start()
        try:
            _until(lambda: len(load.acked) >= BEFORE)
            started = time.time()
            done = _pathways(env, "backup", str(backup))
            finished = len(load.acked)
            _until(lambda: len(load.acked) >= finished + AFTER)
        finally:
            load.stop.set()
            driver.join()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backed up"), done.stdout
    assert not load.failures, load.failures[:5]
    before = [a for a in load.acked if a.at < started]
    during_or_after = [a for a in load.acked if a.at >= started]
    assert len(before) >= BEFORE and during_or_after, (len(before), len(during_or_after))

    restored = _pathways(elsewhere, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("restored"), restored.stdout

    engine = make_engine(settings_for(elsewhere))
    try:
        with Session(engine) as s:
            rows = s.execute(
                select(ResponseLog.student_id, ResponseLog.idempotency_key, ResponseLog.id)  # type: ignore[call-overload]
            ).all()
        stored = {(int(u), str(k)): int(i) for u, k, i in rows}
        told = {(a.student, a.key): a.response_id for a in load.acked}
        missing = [a for a in before if stored.get((a.student, a.key)) != a.response_id]
        assert not missing, f"{len(missing)} of {len(before)} acknowledged answers missing"
        assert len(stored) == len(rows)  # no key twice
        assert all(told.get(k) == i for k, i in stored.items()), "stored, never acknowledged"
        print(
            f"backup under load: {len(before)} acknowledged before it started, all restored; "
            f"{len(stored)} in the backup of {len(load.acked)} acknowledged in all"
        )
        derived = derived_state(engine)
        with Session(engine, expire_on_commit=False) as s:
            replayed = replay(s, CatalogCache())
        assert replayed.responses == len(stored)
        assert derived_state(engine) == derived
    finally:
        engine.dispose()

    again = _pathways(elsewhere, "restore", str(backup))
    lines = [line for line in again.stderr.splitlines() if line.strip()]
    assert again.returncode == 2 and len(lines) == 1, again.stderr
    assert lines[0].startswith("error: ") and "already holds data" in lines[0]
