"""Replaying the log reproduces the incrementally maintained mastery exactly."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.db import write_transaction
from api.runtime import Runtime
from api.services import params as params_service
from api.services.replay import replay
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.queries import derived_state

ITEMS = ["eq1", "eq2", "eq3", "ad1", "ad2", "ad3", "mu1", "mu2", "mu3"]


def _simulate(
    client: TestClient, session: Session, runtime: Runtime, rng: random.Random, answers: int
) -> None:
    students = [
        f.login(client, f.make_user(session, runtime, Role.student).username) for _ in range(4)
    ]
    for _ in range(answers):
        headers = rng.choice(students)
        item = rng.choice(ITEMS)
        text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
        assert f.answer(client, headers, item, text).json()["recorded"]


def test_replay_equals_incremental_state(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    f.load_curriculum(session)
    _simulate(client, session, runtime, random.Random(seed), answers=120)
    incremental = derived_state(engine)
    result = replay(session, runtime.cache)
    assert result.responses == 120
    assert derived_state(engine) == incremental
    assert len(incremental[0]) == result.mastery_rows > 0


def test_activation_replays_with_the_new_parameters(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    f.load_curriculum(session)
    rng = random.Random(seed)
    _simulate(client, session, runtime, rng, answers=40)
    before = derived_state(engine)
    fitted = f.other_params()
    with write_transaction(session):
        stored = params_service.store_param_set(session, fitted, source="test")
    assert stored.id is not None
    params_service.activate(session, runtime, stored.id)
    after = derived_state(engine)
    assert after != before  # new parameters, new mastery
    replay(session, runtime.cache)
    assert derived_state(engine) == after
    # answers after the activation continue from the replayed state, with forgetting
    _simulate(client, session, runtime, rng, answers=40)
    incremental = derived_state(engine)
    replay(session, runtime.cache)
    assert derived_state(engine) == incremental
