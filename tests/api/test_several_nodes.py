"""Two service nodes on one PostgreSQL database: nothing a request needs lives only in one.

Each node is its own `create_app` (own engine, snapshot cache, kept student states,
job runner and login gate) on the same database, as two `pathways serve` processes
behind a load balancer would be. What one node does, the other must see: fit jobs
and their progress, an activation (on the other node's next request), logouts, the
login limits and every answer (kept states are only a cache checked against the
stored state). docs/DEPLOYMENT.md lists the state this covers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.main import create_app
from api.runtime import Runtime
from api.services import fit_claims, fits
from api.services.replay import replay
from models.fit_jobs import FitOptions
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.db import make_test_settings
from tests.utils.queries import derived_state, written_counts

pytestmark = pytest.mark.postgres

STUDENTS = 9  # above the service fit's minimum (engine.fit.SERVICE_MIN_STUDENTS)
ITEMS = ["eq1", "eq2", "eq3", "ad1", "ad2", "ad3", "mu1", "mu2", "mu3"]


@dataclass
class Node:
    app: FastAPI
    client: TestClient

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    @property
    def engine(self) -> Engine:
        return self.runtime.engine


@pytest.fixture
def nodes(tmp_path: Path, fresh_postgres_url: str) -> Iterator[tuple[Node, Node]]:
    """Two apps with engines of their own on one fresh database (the first migrates it)."""
    settings = make_test_settings(tmp_path, database_url=fresh_postgres_url)
    built: list[Node] = []
    try:
        for _ in range(2):
            app = create_app(settings)
            client = TestClient(app)
            client.__enter__()
            built.append(Node(app, client))
        yield built[0], built[1]
    finally:
        for node in built:
            node.client.__exit__(None, None, None)
            node.runtime.jobs.shutdown()
            node.runtime.engine.dispose()


def _students(node: Node, n: int) -> list[str]:
    with node.runtime.session() as session:
        return [f.make_user(session, node.runtime, Role.student).username for _ in range(n)]


def _answer_on_both(a: Node, b: Node, seed: int, students: int, rounds: int) -> int:
    """Each student answers through a node chosen at random for every answer; returns
    the number of answers acknowledged."""
    rng = random.Random(seed)
    names = _students(a, students)
    heads = {name: f.login(a.client, name) for name in names}
    acknowledged = 0
    for name in names:
        p = rng.uniform(0.3, 0.9)
        for item in ITEMS * rounds:
            node = rng.choice((a, b))
            text = RIGHT[item] if rng.random() < p else WRONG[item]
            reply = f.answer(node.client, heads[name], item, text)
            assert reply.status_code == 200, reply.text
            acknowledged += 1
    return acknowledged


def test_both_nodes_migrate_and_serve_one_database(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    health = [n.client.get("/api/health").json() for n in nodes]
    assert [h["database"] for h in health] == ["postgresql", "postgresql"]
    assert health[0]["revision"] == health[1]["revision"]
    assert a.engine is not b.engine and a.runtime.cache is not b.runtime.cache


def test_answers_through_either_node_are_stored_once_and_equal_replay(
    nodes: tuple[Node, Node], seed: int
) -> None:
    a, b = nodes
    with a.runtime.session() as session:
        f.load_curriculum(session)
    acknowledged = _answer_on_both(a, b, seed, students=3, rounds=2)
    # a resend through the other node gets the stored reply and writes nothing
    name = _students(a, 1)[0]
    headers = f.login(a.client, name)
    first = f.answer(a.client, headers, "eq1", RIGHT["eq1"], key="resend-1")
    before = written_counts(a.engine)
    again = f.answer(b.client, headers, "eq1", RIGHT["eq1"], key="resend-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert written_counts(a.engine) == before
    assert before["log"] == acknowledged + 1
    stored = derived_state(a.engine)
    with b.runtime.session() as session:
        replay(session, b.runtime.cache)
    assert derived_state(a.engine) == stored


def test_logout_through_one_node_ends_the_session_on_the_other(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    name = _students(a, 1)[0]
    headers = f.login(a.client, name)
    assert a.client.get("/api/me", headers=headers).status_code == 200
    assert b.client.get("/api/me", headers=headers).status_code == 200  # same key, same user
    assert b.client.post("/api/auth/logout", headers=headers).status_code == 204
    ended = a.client.get("/api/me", headers=headers)
    assert ended.status_code == 401 and "logged out" in ended.json()["detail"]


def test_failed_logins_through_both_nodes_count_against_one_limit(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    name = _students(a, 1)[0]
    limit = a.runtime.settings.login_max_failures_per_user
    for i in range(limit):
        node = (a, b)[i % 2]
        assert f.login_status(node.client, name, "wrong-password-1") == 401
    # the limit is reached across the nodes: even the right password waits, on either
    assert f.login_status(a.client, name, f.PASSWORD) == 429
    assert f.login_status(b.client, name, f.PASSWORD) == 429


@pytest.mark.slow
def test_fit_job_started_on_one_node_is_followed_and_activated_through_the_other(
    nodes: tuple[Node, Node], seed: int
) -> None:
    a, b = nodes
    with a.runtime.session() as session:
        f.load_curriculum(session)
        designer_name = f.make_user(session, a.runtime, Role.designer).username
    _answer_on_both(a, b, seed, students=STUDENTS, rounds=3)
    designer = f.login(a.client, designer_name)
    started = a.client.post(
        "/api/fits", json={"restarts": 1, "random_state": seed}, headers=designer
    )
    assert started.status_code == 202 and not a.runtime.jobs.inline
    job = f.finished_fit(b.client, designer, started.json()["id"])  # polled through B only
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0 and job["param_set_id"] is not None
    assert b.runtime.jobs.futures == {}  # B ran nothing: it read A's progress from the row

    # A holds a snapshot of the parameters it runs (cold start) before the activation
    student = f.login(a.client, _students(a, 1)[0])
    assert a.client.get("/api/practice/next", headers=student).status_code == 200
    held = a.runtime.cache.current()
    assert held is not None and held.param_set_id is None

    activated = b.client.post(f"/api/fits/{job['id']}/activate", headers=designer)
    assert activated.status_code == 200, activated.text
    new_set = job["param_set_id"]
    # The bound: A's very next request reads the revision row and runs the new set.
    reply = f.answer(a.client, student, "eq1", RIGHT["eq1"])
    assert reply.status_code == 200
    current = a.runtime.cache.current()
    assert current is not None and current.param_set_id == new_set
    with Session(a.engine) as session:
        last = session.execute(
            text("SELECT param_set_id FROM response_log ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert last == new_set
    listed = a.client.get("/api/params", headers=designer).json()
    assert [p["id"] for p in listed if p["active"]] == [new_set]
    stored = derived_state(a.engine)
    with a.runtime.session() as session:
        replay(session, a.runtime.cache)
    assert derived_state(a.engine) == stored


def test_activation_on_one_node_reaches_the_other_on_its_next_request(
    nodes: tuple[Node, Node],
) -> None:
    """Without a fit: a parameter set stored and activated through B moves A's snapshot
    at A's next request, however recently A built its own."""
    a, b = nodes
    with a.runtime.session() as session:
        f.load_curriculum(session)
        designer_name = f.make_user(session, a.runtime, Role.designer).username
    _answer_on_both(a, b, seed=1, students=2, rounds=1)
    designer = f.login(a.client, designer_name)
    student = f.login(a.client, _students(a, 1)[0])
    assert a.client.get("/api/practice/next", headers=student).status_code == 200
    before = a.runtime.cache.current()
    assert before is not None
    uploaded = b.client.post("/api/params", json=f.other_params().to_json_dict(), headers=designer)
    assert uploaded.status_code in (200, 201), uploaded.text
    set_id = uploaded.json()["id"]
    moved = b.client.post(
        f"/api/params/{set_id}/activate",
        json={"override_reason": "two-node test: no gate data here"},
        headers=designer,
    )
    assert moved.status_code == 200, moved.text
    started = time.monotonic()
    assert a.client.get("/api/practice/next", headers=student).status_code == 200
    after = a.runtime.cache.current()
    assert after is not None and after.param_set_id == set_id
    assert after.revision[1] == before.revision[1] + 1
    assert time.monotonic() - started < 30  # one request, not a timer


@pytest.mark.slow
def test_a_fit_job_left_queued_by_a_dead_node_is_run_by_the_node_asked_about_it(
    nodes: tuple[Node, Node], seed: int
) -> None:
    """Node A queued the job and died before starting it (never submitted to a runner):
    asked through B after the lease, B claims and runs it; before that, B leaves it."""
    a, b = nodes
    with a.runtime.session() as session:
        f.load_curriculum(session)
        designer_name = f.make_user(session, a.runtime, Role.designer).username
    _answer_on_both(a, b, seed, students=STUDENTS, rounds=3)
    with a.runtime.session() as session:
        job = fits.create_fit_job(session, None, FitOptions(restarts=1, random_state=seed))
    assert job.id is not None
    designer = f.login(b.client, designer_name)
    fresh = b.client.get(f"/api/fits/{job.id}", headers=designer).json()
    assert fresh["status"] == "queued" and job.id not in b.runtime.jobs.futures
    with Session(a.engine) as session:
        session.execute(
            text("UPDATE fit_job SET created_at = created_at - make_interval(secs => :s)"),
            {"s": 2 * fit_claims.LEASE.total_seconds()},
        )
        session.commit()
    done = f.finished_fit(b.client, designer, job.id)
    assert done["status"] == "succeeded", done["error"]
    assert job.id in b.runtime.jobs.futures and a.runtime.jobs.futures == {}
    assert done["param_set_id"] is not None
