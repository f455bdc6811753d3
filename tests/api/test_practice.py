"""The student's loop: next item without keys, answers, idempotency, multi-skill items."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.db import new_session, write_transaction
from api.runtime import Runtime
from api.services import answers, users
from api.services import params as params_service
from api.services.replay import replay
from api.settings import Settings
from models.practice import AnswerSubmit
from models.users import Role, UserUpdate
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.queries import derived_state, written_counts


def _student(session: Session, runtime: Runtime, client: TestClient) -> dict[str, str]:
    f.load_curriculum(session)
    user = f.make_user(session, runtime, Role.student)
    return f.login(client, user.username)


def test_next_offers_three_items_with_reasons_and_no_answer_keys(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    headers = _student(session, runtime, client)
    reply = client.get("/api/practice/next", headers=headers)
    assert reply.status_code == 200
    body = reply.json()
    offered = [body["recommended"], *body["alternatives"]]
    assert len(offered) == 3
    assert len({o["item"]["id"] for o in offered}) == 3
    allowed = {
        "id",
        "type",
        "prompt",
        "skills",
        "hints",
        "difficulty",
        "choices",
        "unit",
        "percent",
    }
    for o in offered:
        assert o["reason"]
        assert set(o["item"]) <= allowed
    # goal=equiv offers all three equiv items, eq3 (which has a solution) among them
    equiv = client.get("/api/practice/next?goal=equiv", headers=headers)
    assert "eq3" in equiv.text
    assert "Multiply top and bottom" not in equiv.text  # eq3's solution
    assert '"accepted"' not in equiv.text and '"value"' not in equiv.text


def test_goal_limits_scope_and_unknown_goal_is_422(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    headers = _student(session, runtime, client)
    body = client.get("/api/practice/next?goal=equiv", headers=headers).json()
    assert {body["recommended"]["skill_id"]} | {a["skill_id"] for a in body["alternatives"]} == {
        "equiv"
    }
    bad = client.get("/api/practice/next?goal=nope", headers=headers)
    assert bad.status_code == 422
    assert "nope" in bad.text


def test_answer_is_checked_logged_and_traced(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    right = f.answer(client, headers, "eq1", RIGHT["eq1"]).json()
    assert right["recorded"] and right["correct"] and right["attempt"] == 1
    [change] = right["mastery"]
    assert change["skill_id"] == "equiv" and change["mastery"] > change["before"]
    assert right["next"]["recommended"] is not None
    wrong = f.answer(client, headers, "eq1", WRONG["eq1"]).json()
    assert wrong["recorded"] and not wrong["correct"] and wrong["attempt"] == 2
    assert wrong["mastery"][0]["mastery"] < wrong["mastery"][0]["before"]
    assert written_counts(engine) == {"log": 2, "replies": 2, "mastery": 1, "states": 1}
    mine = client.get("/api/students/me/mastery", headers=headers).json()
    equiv = next(s for s in mine["skills"] if s["skill_id"] == "equiv")
    assert equiv["attempts"] == 2 and equiv["corrects"] == 1
    assert equiv["mastery"] == wrong["mastery"][0]["mastery"]


def test_idempotent_resend_returns_the_stored_reply_and_stores_nothing_twice(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    first = f.answer(client, headers, "ad1", RIGHT["ad1"], key="retry-1")
    again = f.answer(client, headers, "ad1", RIGHT["ad1"], key="retry-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert written_counts(engine)["log"] == 1
    assert written_counts(engine)["replies"] == 1


def test_key_reused_for_a_different_answer_is_409_and_writes_nothing(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    f.answer(client, headers, "ad1", RIGHT["ad1"], key="k-1")
    before = written_counts(engine)
    clash = f.answer(client, headers, "ad1", WRONG["ad1"], key="k-1")
    assert clash.status_code == 409
    assert "k-1" in clash.json()["detail"]
    assert written_counts(engine) == before


def test_keys_are_per_student(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    other = f.login(client, f.make_user(session, runtime, Role.student).username)
    f.answer(client, headers, "eq1", RIGHT["eq1"], key="same")
    second = f.answer(client, other, "eq1", WRONG["eq1"], key="same")
    assert second.status_code == 200 and second.json()["recorded"]
    assert written_counts(engine)["log"] == 2


def test_multi_skill_item_updates_every_tagged_skill(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    reply = f.answer(client, headers, "ad3", RIGHT["ad3"]).json()
    assert [m["skill_id"] for m in reply["mastery"]] == ["add", "equiv"]
    assert all(m["mastery"] > m["before"] for m in reply["mastery"])
    assert written_counts(engine)["mastery"] == 2


def test_unreadable_answer_is_not_recorded(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    reply = f.answer(client, headers, "eq2", "twelve-ish")
    assert reply.status_code == 200
    body = reply.json()
    assert body["recorded"] is False and body["error"]
    assert written_counts(engine) == {"log": 0, "replies": 0, "mastery": 0, "states": 0}


def test_answer_reply_follows_the_goal(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    headers = _student(session, runtime, client)
    body = {"item_id": "eq1", "answer": "2/4", "idempotency_key": "g1", "goal": "equiv"}
    reply = client.post("/api/practice/answers", json=body, headers=headers).json()
    offered = [reply["next"]["recommended"], *reply["next"]["alternatives"]]
    assert {o["skill_id"] for o in offered} == {"equiv"}
    nxt = client.get("/api/practice/next?goal=equiv", headers=headers).json()
    assert nxt == reply["next"]
    bad = client.post(
        "/api/practice/answers",
        json={**body, "idempotency_key": "g2", "goal": "nope"},
        headers=headers,
    )
    assert bad.status_code == 422 and "nope" in bad.text
    assert written_counts(engine)["log"] == 1


def test_guess_dropped_when_another_process_moved_the_stored_state(
    session: Session, runtime: Runtime, engine: Engine, settings: Settings, seed: int
) -> None:
    """Each process keeps the states it stored (no JSON parse on the next answer); an
    answer taken by the other process must make that copy stale, never used."""
    other = Runtime.create(settings, engine)  # a second worker: its own caches
    f.load_curriculum(session)
    student = f.make_user(session, runtime, Role.student)
    assert student.id is not None
    rng = random.Random(seed)
    items = sorted(RIGHT.keys() - {"csv1", "csv2"})
    for n in range(30):
        rt = runtime if rng.random() < 0.5 else other
        item = rng.choice(items)
        text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
        body = AnswerSubmit(item_id=item, answer=text, idempotency_key=f"k{n}")
        with new_session(engine) as s:
            assert answers.submit_answer(s, rt, student.id, body).recorded
    incremental = derived_state(engine)
    replay(session, runtime.cache)
    assert derived_state(engine) == incremental


def test_practice_routes_check_the_account_on_every_request(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine
) -> None:
    """The practice routes check the account in their own worker hop (not `StudentUser`):
    the same 401s and 403s, and a refused answer writes nothing."""
    headers = _student(session, runtime, client)
    teacher = f.make_user(session, runtime, Role.teacher)
    staff = f.login(client, teacher.username)
    body = {"item_id": "eq1", "answer": RIGHT["eq1"], "idempotency_key": "a1"}
    assert client.get("/api/practice/next", headers=staff).status_code == 403
    assert client.post("/api/practice/answers", json=body, headers=staff).status_code == 403
    assert client.post("/api/practice/answers", json=body).status_code == 401
    me = client.get("/api/me", headers=headers).json()
    users.update_user(session, runtime, me["id"], UserUpdate(is_active=False))
    for reply in (
        client.get("/api/practice/next", headers=headers),
        client.post("/api/practice/answers", json=body, headers=headers),
    ):
        assert reply.status_code == 401 and "deactivated" in reply.json()["detail"]
    assert written_counts(engine)["log"] == 0


def test_guess_dropped_when_an_activation_moved_the_snapshot(
    session: Session, runtime: Runtime, engine: Engine, settings: Settings, seed: int
) -> None:
    """A worker traces an answer before taking the write lock, on the snapshot it last
    saw; when another process has activated new parameters meanwhile, that guess must
    be dropped and the answer traced again with the new ones."""
    other = Runtime.create(settings, engine)
    f.load_curriculum(session)
    student_id = f.make_user(session, runtime, Role.student).id
    assert student_id is not None
    rng = random.Random(seed)
    items = ["eq1", "eq2", "ad1", "ad3", "mu1"]

    def answer(n: int) -> None:
        item = rng.choice(items)
        text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
        body = AnswerSubmit(item_id=item, answer=text, idempotency_key=f"k{n}")
        with new_session(engine) as s:
            assert answers.submit_answer(s, runtime, student_id, body).recorded

    for n in range(10):
        answer(n)
    fitted = f.other_params()
    with write_transaction(session):
        stored = params_service.store_param_set(session, fitted, source="test")
    assert stored.id is not None
    params_service.activate(session, other, stored.id)  # replays with the new parameters
    for n in range(10, 20):
        answer(n)
    incremental = derived_state(engine)
    replay(session, runtime.cache)
    assert derived_state(engine) == incremental
