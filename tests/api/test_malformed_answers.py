"""Rejected answers: a 4xx naming the problem, and nothing written anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.runtime import Runtime
from api.services import items
from models.users import Role
from tests.utils import factories as f
from tests.utils.queries import written_counts

NOTHING = {"log": 0, "replies": 0, "mastery": 0, "states": 0}


@pytest.fixture
def headers(client: TestClient, session: Session, runtime: Runtime) -> dict[str, str]:
    f.load_curriculum(session)
    return f.login(client, f.make_user(session, runtime, Role.student).username)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"item_id": "nope", "answer": "1", "idempotency_key": "a"}, 422, "unknown item 'nope'"),
        ({"item_id": "eq1", "answer": "1" * 201, "idempotency_key": "a"}, 422, "answer"),
        ({"item_id": "eq1", "answer": 12, "idempotency_key": "a"}, 422, "answer"),
        ({"item_id": ["eq1"], "answer": "1", "idempotency_key": "a"}, 422, "item_id"),
        ({"item_id": "eq1", "answer": "1"}, 422, "idempotency_key"),
        ({"item_id": "eq1", "answer": "1", "idempotency_key": ""}, 422, "idempotency_key"),
        ({"item_id": "eq1", "answer": "1", "idempotency_key": "a b"}, 422, "idempotency_key"),
        ({"answer": "1", "idempotency_key": "a"}, 422, "item_id"),
        ([], 422, "body"),
    ],
)
def test_bad_bodies_are_refused_with_a_clear_message(
    client: TestClient,
    engine: Engine,
    headers: dict[str, str],
    body: Any,
    status: int,
    words: str,
) -> None:
    reply = client.post("/api/practice/answers", json=body, headers=headers)
    assert reply.status_code == status
    assert words in reply.text
    assert written_counts(engine) == NOTHING


def test_not_json_is_422(client: TestClient, engine: Engine, headers: dict[str, str]) -> None:
    reply = client.post(
        "/api/practice/answers",
        content=b"{item_id: eq1",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert reply.status_code == 422
    assert "JSON" in reply.text
    assert written_counts(engine) == NOTHING


def test_answer_to_a_retired_item_is_refused_and_writes_nothing(
    client: TestClient, engine: Engine, session: Session, headers: dict[str, str]
) -> None:
    items.set_retired(session, "eq1", True)
    reply = f.answer(client, headers, "eq1", "2/4")
    assert reply.status_code == 422
    assert "retired" in reply.json()["detail"]
    assert written_counts(engine) == NOTHING


def test_resend_to_an_item_retired_since_returns_the_stored_reply(
    client: TestClient, engine: Engine, session: Session, headers: dict[str, str]
) -> None:
    first = f.answer(client, headers, "eq1", "2/4", key="before-retire")
    items.set_retired(session, "eq1", True)
    again = f.answer(client, headers, "eq1", "2/4", key="before-retire")
    assert again.status_code == 200 and again.json() == first.json()
    assert written_counts(engine)["log"] == 1


def test_no_token_is_401_and_writes_nothing(client: TestClient, engine: Engine) -> None:
    reply = client.post(
        "/api/practice/answers", json={"item_id": "eq1", "answer": "1", "idempotency_key": "a"}
    )
    assert reply.status_code == 401
    assert written_counts(engine) == NOTHING
