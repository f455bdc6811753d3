"""The xAPI outbox: one statement per recorded answer, in its transaction; safe claims.

Runs on SQLite and PostgreSQL (the `database_url` parameter). The claim tests race
real senders: threads with engines of their own on one database file or server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from api.db import make_engine, new_session
from api.runtime import Runtime
from api.services import xapi_outbox
from api.services.xapi_statement import statement_id
from api.settings import Settings
from models.responses import ResponseLog
from models.types import utcnow
from models.users import Role
from models.xapi import XapiOutbox
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.db import app_on, make_test_settings, migrated_engine

HOME = "https://pathways.example.edu"
XAPI = {
    "xapi_enabled": True,
    "xapi_endpoint": "http://127.0.0.1:9/xAPI",  # never contacted here
    "xapi_username": "pathways",
    "xapi_password": "lrs-password-1",
    "xapi_home_page": HOME,
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_test_settings(tmp_path, database_url=database_url, **XAPI)


def _rows(engine: Engine) -> list[XapiOutbox]:
    with Session(engine) as s:
        return list(s.exec(select(XapiOutbox).order_by(XapiOutbox.id)).scalars())  # type: ignore[call-overload, arg-type]


def _student(client: TestClient, session: Session, runtime: Runtime) -> tuple[int, dict[str, str]]:
    f.load_curriculum(session)
    user = f.make_user(session, runtime, Role.student)
    assert user.id is not None
    return user.id, f.login(client, user.username)


def test_each_recorded_answer_queues_its_statement(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    student, headers = _student(client, session, runtime)
    replies = [
        f.answer(client, headers, "ad3", RIGHT["ad3"]).json(),  # two skills
        f.answer(client, headers, "eq1", WRONG["eq1"]).json(),
    ]
    rows = _rows(engine)
    assert [r.response_id for r in rows] == [r["response_id"] for r in replies]
    for row, reply in zip(rows, replies, strict=True):
        s = row.statement
        assert row.statement_id == s["id"] == statement_id(HOME, reply["response_id"])
        assert row.sent_at is None and row.attempts == 0
        assert s["actor"]["account"] == {"homePage": HOME, "name": str(student)}
        assert s["result"]["success"] is reply["correct"]
        mastery = s["result"]["extensions"][f"{HOME}/xapi/extensions/mastery"]
        assert mastery == {m["skill_id"]: m["mastery"] for m in reply["mastery"]}
    assert rows[0].statement["object"]["id"] == f"{HOME}/items/ad3"
    assert rows[0].statement["object"]["definition"]["extensions"] == {
        f"{HOME}/xapi/extensions/skills": ["add", "equiv"]
    }


def test_resends_and_unreadable_answers_queue_nothing(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    _, headers = _student(client, session, runtime)
    f.answer(client, headers, "ad1", RIGHT["ad1"], key="once")
    f.answer(client, headers, "ad1", RIGHT["ad1"], key="once")
    unread = f.answer(client, headers, "eq2", "not a number").json()
    assert unread["recorded"] is False
    assert len(_rows(engine)) == 1


def test_nothing_is_queued_while_sending_is_off(tmp_path: Path, database_url: str) -> None:
    off = make_test_settings(tmp_path, database_url=database_url)
    with migrated_engine(off) as engine:
        app = app_on(off, engine)
        try:
            with TestClient(app) as client, new_session(engine) as session:
                _, headers = _student(client, session, app.state.runtime)
                assert f.answer(client, headers, "eq1", RIGHT["eq1"]).json()["recorded"]
            assert _rows(engine) == []
        finally:
            app.state.runtime.jobs.shutdown()


def _queue(engine: Engine, client: TestClient, headers: dict[str, str], n: int) -> None:
    for i in range(n):
        item = ("eq1", "ad1", "mu1")[i % 3]
        assert f.answer(client, headers, item, RIGHT[item]).json()["recorded"]


def test_claims_are_disjoint_leased_and_settled(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    _, headers = _student(client, session, runtime)
    _queue(engine, client, headers, 5)
    now = utcnow()
    lease = timedelta(seconds=30)
    a = xapi_outbox.claim(engine, "a", 3, lease, now)
    b = xapi_outbox.claim(engine, "b", 3, lease, now)
    assert len(a) == 3 and len(b) == 2 and not {c.row_id for c in a} & {c.row_id for c in b}
    assert xapi_outbox.claim(engine, "c", 10, lease, now) == []  # all leased
    xapi_outbox.mark_sent(engine, [c.row_id for c in a], now)
    xapi_outbox.release(engine, [c.row_id for c in b], "b", "LRS down", now + lease)
    xapi_outbox.release(engine, [c.row_id for c in a], "a", "too late", now + lease)  # no-op
    assert xapi_outbox.counts(engine) == xapi_outbox.OutboxCounts(queued=2, sent=3, failing=2)
    assert xapi_outbox.claim(engine, "c", 10, lease, now + timedelta(seconds=1)) == []
    again = xapi_outbox.claim(engine, "c", 10, lease, now + lease)  # released rows are due
    assert sorted(c.row_id for c in again) == sorted(c.row_id for c in b)
    assert {c.attempts for c in again} == {1}
    by_id = {r.id: r for r in _rows(engine)}
    assert all(by_id[c.row_id].last_error == "LRS down" for c in b)
    assert all(by_id[c.row_id].sent_at is not None for c in a)


def test_an_expired_lease_lets_another_sender_take_the_rows(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    _, headers = _student(client, session, runtime)
    _queue(engine, client, headers, 2)
    now = utcnow()
    died = xapi_outbox.claim(engine, "died", 10, timedelta(seconds=5), now)
    assert len(died) == 2
    assert xapi_outbox.claim(engine, "next", 10, timedelta(seconds=5), now) == []
    taken = xapi_outbox.claim(engine, "next", 10, timedelta(seconds=5), now + timedelta(seconds=6))
    assert [c.row_id for c in taken] == [c.row_id for c in died]


@pytest.fixture
def shared_database(tmp_path: Path, database_url: str) -> Iterator[Settings]:
    """A database several engines can open at once (a file for SQLite)."""
    url = f"sqlite:///{tmp_path / 'outbox.db'}" if database_url.startswith("sqlite") else None
    settings = make_test_settings(tmp_path, database_url=url or database_url, **XAPI)
    with migrated_engine(settings):
        yield settings


def test_concurrent_senders_claim_every_row_exactly_once(shared_database: Settings) -> None:
    """Four senders, each with its own engine (as separate processes would have), race to
    claim 400 rows in batches of 7: every row is claimed by exactly one of them."""
    engine = make_engine(shared_database)
    try:
        with Session(engine) as session:
            f.load_curriculum(session)
        runtime = Runtime.create(shared_database, engine)
        with Session(engine, expire_on_commit=False) as session:
            student = f.make_user(session, runtime, Role.student)
        runtime.jobs.shutdown()
        rows = 400
        with engine.begin() as conn:
            for n in range(rows):
                conn.execute(
                    ResponseLog.__table__.insert(),  # type: ignore[attr-defined]
                    {
                        "student_id": student.id,
                        "item_id": "eq1",
                        "raw_answer": "2/4",
                        "correct": True,
                        "skills": ["equiv"],
                        "attempt": n + 1,
                        "idempotency_key": f"k{n}",
                        "created_at": utcnow(),
                    },
                )
            conn.execute(
                XapiOutbox.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {
                        "response_id": n + 1,
                        "statement_id": statement_id(HOME, n + 1),
                        "statement": {"id": statement_id(HOME, n + 1)},
                        "created_at": utcnow(),
                        "next_attempt_at": utcnow(),
                        "attempts": 0,
                    }
                    for n in range(rows)
                ],
            )
    finally:
        engine.dispose()

    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def sender(name: str) -> None:
        own = make_engine(shared_database)
        mine: list[int] = []
        try:
            start.wait()
            while batch := xapi_outbox.claim(own, name, 7, timedelta(minutes=5), utcnow()):
                mine += [c.row_id for c in batch]
        except BaseException as exc:
            errors.append(exc)
        finally:
            claimed[name] = mine
            own.dispose()

    threads = [threading.Thread(target=sender, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    every = [r for mine in claimed.values() for r in mine]
    assert sorted(every) == list(range(1, rows + 1))  # all claimed, none twice
    check = make_engine(shared_database)
    try:
        with check.connect() as conn:
            tokens = conn.execute(
                select(XapiOutbox.claim_token, func.count()).group_by(XapiOutbox.claim_token)  # type: ignore[arg-type]
            ).all()
        assert {t: n for t, n in tokens} == {name: len(ids) for name, ids in claimed.items() if ids}
    finally:
        check.dispose()
