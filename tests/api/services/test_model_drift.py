"""A content edit that changes what past answers were traced with replays the log, so
stored mastery always equals a replay (and the next answer continues from it)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.runtime import Runtime
from api.services.cache import read_revision
from api.services.replay import replay
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.queries import derived_state

ANSWERED = ["eq1", "eq3", "ad1", "ad3", "mu1"]


def _answers(
    client: TestClient, students: list[dict[str, str]], rng: random.Random, n: int
) -> None:
    for _ in range(n):
        item = rng.choice(ANSWERED)
        text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
        assert f.answer(client, rng.choice(students), item, text).json()["recorded"]


def _revision(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:  # its own transaction, closed (in-memory: one connection)
        return read_revision(s)


def _definition(client: TestClient, designer: dict[str, str], item_id: str) -> dict[str, Any]:
    reply = client.get(f"/api/items/{item_id}", headers=designer)
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["definition"])


def _retag(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "difficulty": "hard"}  # cold start shifts its guess and slip


def _more_choices(d: dict[str, Any]) -> dict[str, Any]:
    answer = {**d["answer"], "choices": [*d["answer"]["choices"], "3/6", "4/6"]}
    return {**d, "answer": answer}  # 1/5 instead of 1/3 guessed right


@pytest.mark.parametrize(("item_id", "edit"), [("eq1", _retag), ("eq3", _more_choices)])
def test_an_edit_that_changes_the_traced_model_replays_the_log(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    engine: Engine,
    seed: int,
    item_id: str,
    edit: Any,
) -> None:
    f.load_curriculum(session)  # no parameter set: every skill runs on the cold start
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    students = [
        f.login(client, f.make_user(session, runtime, Role.student).username) for _ in range(3)
    ]
    rng = random.Random(seed)
    _answers(client, students, rng, 40)
    before, revision = derived_state(engine), _revision(engine)

    reply = client.put(
        f"/api/items/{item_id}", json=edit(_definition(client, designer, item_id)), headers=designer
    )
    assert reply.status_code == 200, reply.text
    edited = derived_state(engine)
    assert edited != before  # the answers are traced with the item's new values now
    assert _revision(engine)[1] == revision[1] + 1  # every process drops kept states
    replay(session, runtime.cache)
    assert derived_state(engine) == edited

    _answers(client, students, rng, 20)  # and later answers continue from the replay
    incremental = derived_state(engine)
    replay(session, runtime.cache)
    assert derived_state(engine) == incremental


def test_an_edit_that_changes_nothing_traced_does_not_replay(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    f.load_curriculum(session)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    student = f.login(client, f.make_user(session, runtime, Role.student).username)
    _answers(client, [student], random.Random(seed), 15)
    before, revision = derived_state(engine), _revision(engine)
    body = {**_definition(client, designer, "eq1"), "prompt": "1/2 equals how many quarters?"}
    assert client.put("/api/items/eq1", json=body, headers=designer).status_code == 200
    assert derived_state(engine) == before
    assert _revision(engine) == (revision[0] + 1, revision[1])  # content only


def test_a_replay_moves_the_parameter_revision(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    """A replay run by another process (`pathways replay`) must reach every process's kept
    student states, which the parameter revision invalidates."""
    f.load_curriculum(session)
    revision = _revision(engine)
    replay(session)
    assert _revision(engine) == (revision[0], revision[1] + 1)
