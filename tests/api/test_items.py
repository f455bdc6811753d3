"""The designers' item bank: create, update, retire, restore, statistics and flags."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG


@pytest.fixture
def designer(client: TestClient, session: Session, runtime: Runtime) -> dict[str, str]:
    f.load_curriculum(session)
    return f.login(client, f.make_user(session, runtime, Role.designer).username)


NEW = {
    "id": "ad9",
    "skills": ["add"],
    "type": "numeric",
    "prompt": "0.1 + 0.2",
    "answer": {"value": 0.3},
    "solution": "Line up the decimal points.",
}


def test_designers_see_the_full_definition(client: TestClient, designer: dict[str, str]) -> None:
    item = client.get("/api/items/eq3", headers=designer).json()
    assert item["definition"]["answer"]["correct"] == "2/6"
    assert item["definition"]["solution"].startswith("Multiply")
    listed = client.get("/api/items?skill=equiv", headers=designer).json()
    assert [i["id"] for i in listed] == ["eq1", "eq2", "eq3", "ad3"]


def test_create_update_retire_restore(
    client: TestClient, designer: dict[str, str], session: Session, runtime: Runtime
) -> None:
    created = client.post("/api/items", json=NEW, headers=designer)
    assert created.status_code == 201 and created.json()["skills"] == ["add"]
    student = f.login(client, f.make_user(session, runtime, Role.student).username)
    assert f.answer(client, student, "ad9", "0.3").json()["correct"]
    edited = client.put("/api/items/ad9", json={**NEW, "answer": {"value": 0.4}}, headers=designer)
    assert edited.status_code == 200
    assert f.answer(client, student, "ad9", "0.4").json()["correct"]  # caches were refreshed
    retired = client.post("/api/items/ad9/retire", headers=designer).json()
    assert retired["retired"] is True
    assert f.answer(client, student, "ad9", "0.4").status_code == 422
    offered = client.get("/api/practice/next?goal=add", headers=student).text
    assert "ad9" not in offered
    assert client.post("/api/items/ad9/restore", headers=designer).json()["retired"] is False


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**NEW, "id": "eq1"}, "eq1"),  # id taken
        ({**NEW, "skills": ["nosuch"]}, "nosuch"),
        ({**NEW, "answer": {"value": "abc"}}, "answer"),
        ({**NEW, "type": "essay"}, "type"),
    ],
)
def test_invalid_items_are_422_with_problems(
    client: TestClient, designer: dict[str, str], body: dict[str, object], words: str
) -> None:
    reply = client.post("/api/items", json=body, headers=designer)
    assert reply.status_code == 422
    got = reply.json()
    assert words in got["detail"] and got["report"]["errors"] and got["errors"]
    if body["id"] == "ad9":  # nothing was stored
        assert client.get("/api/items/ad9", headers=designer).status_code == 404


def test_update_cannot_change_the_id(client: TestClient, designer: dict[str, str]) -> None:
    reply = client.put("/api/items/eq1", json={**NEW, "id": "other"}, headers=designer)
    assert reply.status_code == 422 and "differs" in reply.text


def test_stats_count_attempts_and_flag_items(
    client: TestClient, designer: dict[str, str], session: Session, runtime: Runtime, seed: int
) -> None:
    never = client.get("/api/items/mu3/stats", headers=designer).json()
    assert never["attempts"] == 0 and never["flags"] == ["never attempted"]
    assert never["guess"] is None
    rng = random.Random(seed)
    students = [
        f.login(client, f.make_user(session, runtime, Role.student).username) for _ in range(6)
    ]
    right = 0
    for headers in students:
        for item in ("eq1", "eq2", "eq3") * 4:
            ok = rng.random() < 0.7
            right += ok and item == "eq1"
            f.answer(client, headers, item, RIGHT[item] if ok else WRONG[item])
    stats = client.get("/api/items/eq1/stats", headers=designer).json()
    assert stats["attempts"] == 24 and stats["students"] == 6
    assert stats["share_correct"] == pytest.approx(right / 24)
    assert 0.0 <= stats["guess"] <= 1.0 and 0.0 <= stats["slip"] <= 1.0
    assert stats["fits"][0]["skill_id"] == "equiv" and stats["fits"][0]["responses"] == 6 * 12
    expected = {"guess > 0.5"} if stats["guess"] > 0.5 else set()
    expected |= {"slip > 0.3"} if stats["slip"] > 0.3 else set()
    expected |= {"mastery-lowering"} if stats["guess"] + stats["slip"] > 1 else set()
    assert set(stats["flags"]) == expected
