"""Refitting from the log as a background job, then activating the result."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from api.runtime import Runtime
from api.services.replay import replay
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.db import make_test_settings
from tests.utils.queries import derived_state

STUDENTS = 9  # above the service fit's minimum (engine.fit.SERVICE_MIN_STUDENTS)
ITEMS = ["eq1", "eq2", "eq3", "ad1", "ad2", "ad3", "mu1", "mu2", "mu3"]


def _history(client: TestClient, session: Session, runtime: Runtime, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(STUDENTS):
        headers = f.login(client, f.make_user(session, runtime, Role.student).username)
        p = rng.uniform(0.3, 0.9)
        for item in ITEMS * 3:
            f.answer(client, headers, item, RIGHT[item] if rng.random() < p else WRONG[item])


@pytest.mark.slow
def test_fit_job_end_to_end(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    f.load_curriculum(session)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    empty = client.post("/api/fits", json={}, headers=designer)
    assert empty.status_code == 409 and "no responses" in empty.json()["detail"]
    _history(client, session, runtime, seed)
    started = client.post("/api/fits", json={"restarts": 2, "random_state": seed}, headers=designer)
    assert started.status_code == 202
    job = f.finished_fit(client, designer, started.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0 and job["n_responses"] == STUDENTS * (27 + 3)  # ad3: two skills
    comparison = job["comparison"]
    assert isinstance(comparison, list)
    assert [c["skill"] for c in comparison] == ["add", "equiv", "mul"]
    assert all(
        c["before"] is None and set(c["after"]) >= {"prior", "learn", "guess", "slip"}
        for c in comparison
    )
    assert isinstance(job["report"], dict)
    before = derived_state(engine)
    activated = client.post(f"/api/fits/{job['id']}/activate", headers=designer)
    assert activated.status_code == 200
    assert activated.json()["responses"] == STUDENTS * 27
    after = derived_state(engine)
    assert after != before
    replay(session, runtime.cache)
    assert derived_state(engine) == after
    listed = client.get("/api/params", headers=designer).json()
    assert [p["active"] for p in listed] == [True]
    # a second fit compares with the now active set
    second = client.post("/api/fits", json={"restarts": 1}, headers=designer).json()
    job2 = f.finished_fit(client, designer, second["id"])
    comparison2 = job2["comparison"]
    assert isinstance(comparison2, list) and all(c["before"] is not None for c in comparison2)


@pytest.mark.slow
def test_fit_runs_in_a_background_thread_on_a_file_database(tmp_path: Path, seed: int) -> None:
    settings = make_test_settings(tmp_path, database_url=None)
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    assert not runtime.jobs.inline
    try:
        with TestClient(app) as client, runtime.session() as session:
            f.load_curriculum(session)
            designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
            _history(client, session, runtime, seed)
            started = client.post("/api/fits", json={"restarts": 3}, headers=designer)
            assert started.json()["status"] == "queued"
            job = f.finished_fit(client, designer, started.json()["id"])
            assert job["status"] == "succeeded"
            # (3 skills x 3 starts + 3 empirical-Bayes refits), twice: the fit, and the
            # gate's refit without the newest answers
            assert job["total"] == 2 * (3 * 3 + 3) and job["done"] == job["total"]
    finally:
        runtime.jobs.shutdown()
        runtime.engine.dispose()


def test_activating_an_unfinished_or_missing_fit(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    assert client.post("/api/fits/42/activate", headers=designer).status_code == 404
    assert client.post("/api/params/42/activate", headers=designer).status_code == 404
