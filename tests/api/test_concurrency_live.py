"""A real server under many concurrent clients: every answer stored once, mastery exact.

The service runs under uvicorn in its own process with two workers (so two processes
share the database, as in production) on an SQLite *file* in WAL mode or on a real
PostgreSQL server. 100 client coroutines (two "tabs" for each of 50 students, so a
student's own answers race each other too) submit 2,000 distinct answers over HTTP;
some are sent twice at the same moment with the same idempotency key, some resent
after the first reply (a client retry). Afterwards, with the server stopped:

- the log holds each distinct answer exactly once, with what was sent, under the
  response id the client was told; attempt numbers count up per (student, item);
- both submissions of a repeated key got the same reply;
- every stored mastery value and every reply's mastery change equal, to the bit, an
  offline recomputation through `engine.trace.trace` over the logged sequence (so
  answers were applied in log order), and the service's own `replay` reproduces the
  derived tables exactly.

(The in-process version with threads is tests/api/test_concurrency.py.)
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from api.db import make_engine
from api.runtime import Runtime
from api.services import content_import, users
from api.services.cache import CatalogCache
from api.services.replay import replay
from api.settings import Settings, load_settings
from benchmarks.live_server import LiveServer
from engine.trace import trace
from models.mastery import Mastery, StudentStateRow
from models.migrate import upgrade
from models.responses import ResponseLog
from models.users import Role, UserCreate
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM, WRONG
from tests.utils.live import run_async

STUDENTS = 50
TABS = 2  # concurrent clients per student
ANSWERS_PER_TAB = 20  # 50 x 2 x 20 = 2,000 distinct answers
PASSWORD = "concurrency-pw-1"
SECRET = "concurrency-test-secret-" + "k" * 32
ITEMS = sorted(set(RIGHT) - {"csv1", "csv2"})
REQUEST_TIMEOUT_S = 120.0
TRANSPORT_RETRIES = 3
RUN_TIMEOUT_S = 600.0

pytestmark = pytest.mark.slow


@pytest.fixture(
    params=[
        pytest.param("sqlite-file", id="sqlite-file"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def server_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The server's environment: a fresh data dir, and PostgreSQL or the SQLite file in it."""
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else ""
    return {
        "PATHWAYS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": url,  # empty: SQLite file pathways.db in the data dir
        "PATHWAYS_SECRET_KEY": SECRET,
        "PATHWAYS_ARGON2_TIME_COST": "1",
        "PATHWAYS_ARGON2_MEMORY_KIB": "64",
    }


def _settings(env: dict[str, str]) -> Settings:
    return load_settings(
        data_dir=Path(env["PATHWAYS_DATA_DIR"]),
        database_url=env["DATABASE_URL"] or None,
        secret_key=SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )


@pytest.fixture
def seeded(server_settings: dict[str, str]) -> Iterator[tuple[Engine, list[int]]]:
    """Migrated database with the small curriculum and STUDENTS students; their ids."""
    settings = _settings(server_settings)
    engine = make_engine(settings)
    upgrade(engine)
    runtime = Runtime.create(settings, engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            content_import.import_text(session, SMALL_CURRICULUM, "small.yaml")
            ids = []
            for n in range(STUDENTS):
                user = users.create_user(
                    session,
                    runtime,
                    UserCreate(username=f"s{n}", role=Role.student, password=PASSWORD),
                )
                assert user.id is not None
                ids.append(user.id)
        yield engine, ids
    finally:
        runtime.jobs.shutdown()
        engine.dispose()


@dataclass
class Sent:
    student: int
    key: str
    item: str
    answer: str
    replies: list[tuple[int, Any]] = field(default_factory=list)


def _plan(ids: list[int], rng: random.Random) -> list[list[Sent]]:
    """One list of answers per client (tab); keys unique per student."""
    tabs = []
    for sid in ids:
        for tab in range(TABS):
            answers = []
            for n in range(ANSWERS_PER_TAB):
                item = rng.choice(ITEMS)
                text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
                answers.append(Sent(sid, f"s{sid}-t{tab}-n{n}", item, text))
            tabs.append(answers)
    return tabs


async def _submit(client: httpx.AsyncClient, token: str, sent: Sent) -> None:
    # A transport error (e.g. the server closing an idle keep-alive connection just as
    # the request goes out) loses the reply, not the answer: like a real client, send
    # again with the same idempotency key. That retry is itself part of what is tested.
    for attempt in range(TRANSPORT_RETRIES + 1):
        try:
            reply = await client.post(
                "/api/practice/answers",
                json={"item_id": sent.item, "answer": sent.answer, "idempotency_key": sent.key},
                headers={"Authorization": f"Bearer {token}"},
            )
            break
        except httpx.TransportError:
            if attempt == TRANSPORT_RETRIES:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    try:
        body: Any = reply.json()
    except ValueError:
        body = reply.text  # not JSON (e.g. a plain 500 page): kept for the failure message
    sent.replies.append((reply.status_code, body))


async def _tab(client: httpx.AsyncClient, token: str, answers: list[Sent]) -> None:
    for n, sent in enumerate(answers):
        if n % 6 == 1:  # a double submission racing itself
            await asyncio.gather(_submit(client, token, sent), _submit(client, token, sent))
        else:
            await _submit(client, token, sent)
            if n % 6 == 4:  # a retry after the reply was (say) lost on the way
                await _submit(client, token, sent)


async def _drive(base_url: str, usernames: dict[int, str], tabs: list[list[Sent]]) -> None:
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_S
    ) as client:

        async def login(sid: int) -> tuple[int, str]:
            reply = await client.post(
                "/api/auth/token", data={"username": usernames[sid], "password": PASSWORD}
            )
            assert reply.status_code == 200, reply.text
            return sid, str(reply.json()["access_token"])

        tokens = dict(await asyncio.gather(*(login(sid) for sid in usernames)))
        await asyncio.gather(*(_tab(client, tokens[t[0].student], t) for t in tabs))


def _log(engine: Engine) -> list[Any]:
    with Session(engine) as s:
        return list(
            s.execute(
                select(
                    ResponseLog.id,  # type: ignore[call-overload]
                    ResponseLog.student_id,
                    ResponseLog.idempotency_key,
                    ResponseLog.item_id,
                    ResponseLog.raw_answer,
                    ResponseLog.correct,
                    ResponseLog.skills,
                    ResponseLog.attempt,
                ).order_by(ResponseLog.id)
            ).all()
        )


def _derived(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Session(engine) as s:
        mastery = sorted(tuple(r) for r in s.execute(select(*Mastery.__table__.columns)))  # type: ignore[attr-defined]
        states = sorted(
            (r.student_id, r.step, r.last_response_id, repr(sorted(r.state.items())))
            for r in s.execute(select(*StudentStateRow.__table__.columns))  # type: ignore[attr-defined]
        )
    return mastery, states


def _run_in_own_loop(coro: Coroutine[Any, Any, None]) -> None:
    """In a fresh thread's loop (a session-wide Playwright keeps one in the main thread)."""
    run_async(asyncio.wait_for(coro, RUN_TIMEOUT_S))


def test_many_clients_store_each_answer_once_and_mastery_replays_exactly(
    server_settings: dict[str, str], seeded: tuple[Engine, list[int]], seed: int
) -> None:
    engine, ids = seeded
    tabs = _plan(ids, random.Random(seed))
    usernames = {sid: f"s{n}" for n, sid in enumerate(ids)}
    server = LiveServer("api.main:create_app", env=server_settings, workers=2).start()
    try:
        _run_in_own_loop(_drive(server.base_url, usernames, tabs))
    finally:
        server_log = server.stop()
    sent = {(s.student, s.key): s for t in tabs for s in t}
    assert len(sent) == STUDENTS * TABS * ANSWERS_PER_TAB == 2000

    # every submission succeeded; repeated keys got the same reply as the first
    for s in sent.values():
        statuses = [code for code, _ in s.replies]
        assert statuses == [200] * len(s.replies), (s.key, s.replies, server_log[-3000:])
        first = s.replies[0][1]
        assert first["recorded"] is True
        assert all(body == first for _, body in s.replies), s.key
    assert sum(len(s.replies) > 1 for s in sent.values()) > 500

    # the log: each distinct answer exactly once, as sent, under the acknowledged id
    log = _log(engine)
    assert len(log) == len(sent)
    assert {(r.student_id, r.idempotency_key) for r in log} == set(sent)
    for r in log:
        s = sent[(r.student_id, r.idempotency_key)]
        assert (r.item_id, r.raw_answer) == (s.item, s.answer)
        assert s.replies[0][1]["response_id"] == r.id
        assert s.replies[0][1]["attempt"] == r.attempt
        assert r.correct == (s.answer == RIGHT[s.item])

    # attempt numbers per (student, item) are 1, 2, 3, ... in log order
    attempts: dict[tuple[int, str], list[int]] = defaultdict(list)
    for r in log:
        attempts[(r.student_id, r.item_id)].append(r.attempt)
    assert all(a == list(range(1, len(a) + 1)) for a in attempts.values())

    # offline recomputation with engine.trace over each (student, skill) sequence
    with Session(engine) as session:
        snap = CatalogCache().get(session)
    sequences: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for r in log:
        for skill in r.skills:
            sequences[(r.student_id, skill)].append(r)
    with Session(engine) as session:
        stored = {(m.student_id, m.skill_id): m for m in session.scalars(select(Mastery))}
    assert set(stored) == set(sequences)
    for (student, skill), rows in sequences.items():
        params = snap.skill_params(skill)
        result = trace(params, [int(r.correct) for r in rows], [r.item_id for r in rows])
        row = stored[(student, skill)]
        assert row.mastery == result.mastery[-1]  # to the bit: both carry (known, unknown)
        assert (row.attempts, row.last_response_id) == (len(rows), rows[-1].id)
        for k, r in enumerate(rows):
            change = next(
                c
                for c in sent[(student, r.idempotency_key)].replies[0][1]["mastery"]
                if c["skill_id"] == skill
            )
            before = result.mastery[k - 1] if k else params.prior_for(None)
            assert (change["before"], change["mastery"]) == (before, result.mastery[k])

    # the service's replay rebuilds the derived tables bit for bit
    incremental = _derived(engine)
    with Session(engine, expire_on_commit=False) as session:
        replayed = replay(session, CatalogCache())
    assert replayed.responses == len(log)
    assert _derived(engine) == incremental
