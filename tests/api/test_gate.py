"""The model the service runs: cold start, the activation gate and its record, what a refit
covers, and the runtime self-check, through the HTTP API."""

from __future__ import annotations

import random
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.runtime import Runtime
from engine.params import ModelParams, SkillParams
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM, WRONG
from tests.utils.queries import derived_state

SANE = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
DECLARED = SMALL_CURRICULUM.replace(
    '    name: Equivalent fractions\n    grade_band: "4"\n',
    '    name: Equivalent fractions\n    grade_band: "4"\n'
    "    bkt: {prior: 0.6, learn: 0.25, guess: 0.12, slip: 0.08}\n",
)


def _upload(client: TestClient, headers: dict[str, str], skills: dict[str, SkillParams]) -> int:
    body = ModelParams(skills=skills).to_json_dict()
    reply = client.post("/api/params", json=body, headers=headers)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def _history(
    client: TestClient, session: Session, runtime: Runtime, students: int, seed: int
) -> None:
    rng = random.Random(seed)
    items = ["eq1", "eq2", "ad1", "ad2", "mu1", "mu2"]
    for _ in range(students):
        headers = f.login(client, f.make_user(session, runtime, Role.student).username)
        p = rng.uniform(0.3, 0.9)
        for item in items * 2:
            f.answer(client, headers, item, RIGHT[item] if rng.random() < p else WRONG[item])


def test_a_new_school_runs_on_the_curriculums_declared_values(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session, DECLARED)
    snap = runtime.cache.get(session)
    assert snap.param_set_id is None
    assert snap.by_skill["equiv"].prior == 0.6 and snap.by_skill["equiv"].guess == 0.12
    assert snap.by_skill["equiv"].guess_for("eq3") >= 1 / 3, "a 3-choice item guesses 1/3"
    student = f.login(client, f.make_user(session, runtime, Role.student).username)
    mastery = {
        m["skill_id"]: m["mastery"]
        for m in client.get("/api/students/me/mastery", headers=student).json()["skills"]
    }
    assert mastery["equiv"] == 0.6


def test_a_degenerate_set_is_refused_then_overridden_on_the_record(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    f.load_curriculum(session)
    designer_user = f.make_user(session, runtime, Role.designer)
    designer = f.login(client, designer_user.username)
    _history(client, session, runtime, 2, seed)
    inverted = SkillParams(prior=0.3, learn=1.0, guess=0.6, slip=0.7)
    bad = _upload(client, designer, {"equiv": inverted, "add": SANE, "mul": SANE})
    verdict = client.get(f"/api/params/{bad}/gate", headers=designer).json()
    assert verdict["passed"] is False and set(verdict["degenerate"]) == {"equiv"}
    before = derived_state(engine)
    refused = client.post(f"/api/params/{bad}/activate", headers=designer)
    assert refused.status_code == 409
    assert "gate refuses" in refused.text and "equiv" in refused.text
    assert derived_state(engine) == before, "a refusal changes nothing"
    assert client.get("/api/activations", headers=designer).json() == []
    short = client.post(
        f"/api/params/{bad}/activate", json={"override_reason": "why not"}, headers=designer
    )
    assert short.status_code == 422
    forced = client.post(
        f"/api/params/{bad}/activate",
        json={"override_reason": "testing the self-check on purpose"},
        headers=designer,
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["overridden"] is True and forced.json()["gate_passed"] is False
    record = client.get("/api/activations", headers=designer).json()
    assert len(record) == 1
    assert record[0]["param_set_id"] == bad and record[0]["user_id"] == designer_user.id
    assert record[0]["override_reason"] == "testing the self-check on purpose"
    assert record[0]["passed"] is False and record[0]["gate"]["degenerate"]["equiv"]


def test_a_set_that_predicts_the_log_worse_is_refused(
    client: TestClient, session: Session, runtime: Runtime, seed: int
) -> None:
    f.load_curriculum(session)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    _history(client, session, runtime, 15, seed)  # 180 answers: the newest 36 are scored
    # sound in itself, but sure that nobody knows anything: it predicts the log badly
    wrong_way = SkillParams(prior=0.01, learn=0.01, guess=0.05, slip=0.3)
    worse = _upload(client, designer, {s: wrong_way for s in ("equiv", "add", "mul")})
    verdict = client.get(f"/api/params/{worse}/gate", headers=designer).json()
    reply = client.post(f"/api/params/{worse}/activate", headers=designer)
    assert reply.status_code == 409 and "log-loss" in reply.text, verdict


def test_a_refit_covers_every_skill_and_keeps_thin_ones_at_the_declared_values(
    client: TestClient, session: Session, runtime: Runtime, seed: int
) -> None:
    f.load_curriculum(session, DECLARED)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    _history(client, session, runtime, 3, seed)  # below the minimum on every skill
    started = client.post("/api/fits", json={"restarts": 1, "random_state": seed}, headers=designer)
    job = f.finished_fit(client, designer, started.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    sources = {r["skill"]: r["source"] for r in job["report"]["skills"]}
    assert set(sources.values()) == {"kept"}
    stored = client.get(f"/api/params/{job['param_set_id']}", headers=designer).json()["params"]
    assert set(stored["skills"]) == {"equiv", "add", "mul"}
    assert stored["skills"]["equiv"]["prior"] == 0.6, "kept at what the curriculum declares"
    gate = job["gate"]
    assert gate["passed"] is True and "scored_params" not in gate
    activated = client.post(f"/api/fits/{job['id']}/activate", headers=designer)
    assert activated.status_code == 200 and activated.json()["gate_passed"] is True


def test_right_answers_that_do_not_move_mastery_flag_the_skill_to_the_designer(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    inverted = SkillParams(prior=0.3, learn=0.05, guess=0.7, slip=0.6)
    bad = _upload(client, designer, {"equiv": inverted, "add": SANE, "mul": SANE})
    forced = client.post(
        f"/api/params/{bad}/activate",
        json={"override_reason": "reproducing an inverted model"},
        headers=designer,
    )
    assert forced.status_code == 200
    student = f.login(client, f.make_user(session, runtime, Role.student).username)
    reply: dict[str, Any] = {}
    for item in ("eq1", "eq2", "eq1"):
        reply = f.answer(client, student, item, RIGHT[item]).json()
        assert reply["recorded"]
    nxt = reply["next"]["recommended"]
    assert nxt["skill_id"] != "equiv" and "told your teacher" in nxt["reason"]
    stats = client.get("/api/items/eq1/stats", headers=designer).json()
    assert "model contradicts answers" in stats["flags"]
    page = client.get("/designer/fits", headers=designer)
    assert page.status_code in (200, 303, 401)  # pages use the cookie session
