"""Goals with dates through the API: setting them, who sees which goal, progress and pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.services.goals import pick_current
from models.goals import Goal
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT


@dataclass
class Room:
    teacher: dict[str, str]
    other_teacher: dict[str, str]
    students: list[User]
    heads: list[dict[str, str]]
    class_id: int


@pytest.fixture
def room(client: TestClient, session: Session, runtime: Runtime) -> Room:
    f.load_curriculum(session)
    teacher = f.make_user(session, runtime, Role.teacher)
    other = f.make_user(session, runtime, Role.teacher)
    students = [f.make_user(session, runtime, Role.student) for _ in range(3)]
    classroom = f.make_class(session, teacher, students)
    f.make_class(session, other, [])
    assert classroom.id is not None
    return Room(
        teacher=f.login(client, teacher.username),
        other_teacher=f.login(client, other.username),
        students=students,
        heads=[f.login(client, s.username) for s in students],
        class_id=classroom.id,
    )


def _soon(days: int = 14) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_a_unit_goal_resolves_to_its_skills_and_every_student_sees_it(
    client: TestClient, room: Room
) -> None:
    made = client.post(
        f"/api/classes/{room.class_id}/goals",
        json={"unit_id": "u1", "target_date": _soon()},
        headers=room.teacher,
    )
    assert made.status_code == 201, made.text
    goal = made.json()
    assert goal["skills"] == ["equiv", "add", "mul"] and goal["whole_class"]
    assert goal["title"] == "Fractions"  # no title given: the unit's name
    listed = client.get(f"/api/classes/{room.class_id}/goals", headers=room.teacher).json()
    assert [g["id"] for g in listed] == [goal["id"]]
    mine = client.get("/api/students/me/goal", headers=room.heads[0])
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["goal"]["id"] == goal["id"] and (body["mastered"], body["total"]) == (0, 3)
    assert body["pace"]["flag"] == "behind" and "No practice" in body["pace"]["reason"]
    assert body["pace"]["attempts"] >= 3  # each goal skill needs at least one answer


def test_a_goal_for_chosen_students_applies_to_them_only(client: TestClient, room: Room) -> None:
    chosen = room.students[1].id
    made = client.post(
        f"/api/classes/{room.class_id}/goals",
        json={"skills": ["add"], "target_date": _soon(), "student_ids": [chosen]},
        headers=room.teacher,
    )
    assert made.status_code == 201, made.text
    assert made.json()["student_ids"] == [chosen] and not made.json()["whole_class"]
    assert client.get("/api/students/me/goal", headers=room.heads[1]).json()["goal"]["skills"] == [
        "add"
    ]
    assert client.get("/api/students/me/goal", headers=room.heads[0]).json() is None
    pace = client.get(f"/api/goals/{made.json()['id']}/pace", headers=room.teacher).json()
    assert [r["student_id"] for r in pace["students"]] == [chosen]


def test_practice_moves_progress_and_gives_a_dated_projection(
    client: TestClient, room: Room
) -> None:
    made = client.post(
        f"/api/classes/{room.class_id}/goals",
        json={"skills": ["equiv", "add"], "target_date": _soon(60)},
        headers=room.teacher,
    ).json()
    head = room.heads[0]
    for _ in range(4):
        for item in ("eq1", "eq2", "eq3"):
            assert f.answer(client, head, item, RIGHT[item]).status_code == 200
    body = client.get("/api/students/me/goal", headers=head).json()
    skills = {s["skill_id"]: s for s in body["skills"]}
    assert skills["equiv"]["mastered"] and not skills["add"]["mastered"]
    pace = body["pace"]
    assert pace["recent_answers"] == 12 and pace["answers_per_day"] == pytest.approx(12.0)
    assert pace["remaining_skills"] == 1
    assert pace["projected_date"] is not None
    assert pace["date_low"] <= pace["projected_date"] <= pace["date_high"]
    assert 0 < pace["attempts_low"] <= pace["attempts"] <= pace["attempts_high"]
    assert pace["flag"] == "on track", pace["reason"]
    teacher_view = client.get(f"/api/goals/{made['id']}/pace", headers=room.teacher).json()
    flags = {r["student_id"]: r["pace"]["flag"] for r in teacher_view["students"]}
    assert flags[room.students[0].id] == "on track"
    assert {flags[s.id] for s in room.students[1:]} == {"behind"}  # never practised
    assert teacher_view["students"][-1]["student_id"] == room.students[0].id  # behind first


def test_a_teacher_sees_a_students_goal_another_teacher_does_not(
    client: TestClient, room: Room
) -> None:
    client.post(
        f"/api/classes/{room.class_id}/goals",
        json={"unit_id": "u1", "target_date": _soon()},
        headers=room.teacher,
    )
    sid = room.students[2].id
    assert client.get(f"/api/students/{sid}/goal", headers=room.teacher).status_code == 200
    refused = client.get(f"/api/students/{sid}/goal", headers=room.other_teacher)
    assert refused.status_code == 404 and refused.json()["detail"] == f"no student {sid}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"unit_id": "u1", "skills": ["add"]}, "either unit_id or skills"),
        ({}, "either unit_id or skills"),
        ({"skills": ["nope"]}, "unknown or retired skill(s) ['nope']"),
        ({"unit_id": "u9"}, "no unit 'u9'"),
        ({"unit_id": "u1", "student_ids": []}, "at least one student"),
        ({"unit_id": "u1", "student_ids": [987654]}, "not enrolled in class"),
        ({"unit_id": "u1", "target_date": "2001-01-01"}, "is in the past"),
    ],
)
def test_bad_goals_are_refused_with_the_field_and_nothing_is_stored(
    client: TestClient, room: Room, body: dict[str, object], expected: str
) -> None:
    reply = client.post(
        f"/api/classes/{room.class_id}/goals",
        json={"target_date": _soon()} | body,
        headers=room.teacher,
    )
    assert reply.status_code == 422 and expected in reply.text, reply.text
    assert client.get(f"/api/classes/{room.class_id}/goals", headers=room.teacher).json() == []


def test_another_teachers_class_and_goals_are_not_found(client: TestClient, room: Room) -> None:
    body = {"unit_id": "u1", "target_date": _soon()}
    made = client.post(f"/api/classes/{room.class_id}/goals", json=body, headers=room.teacher)
    gid = made.json()["id"]
    theirs = client.post(
        f"/api/classes/{room.class_id}/goals", json=body, headers=room.other_teacher
    )
    assert theirs.status_code == 404
    assert client.get(f"/api/goals/{gid}/pace", headers=room.other_teacher).status_code == 404
    assert client.delete(f"/api/goals/{gid}", headers=room.other_teacher).status_code == 404


def test_an_archived_goal_stops_applying(client: TestClient, room: Room) -> None:
    body = {"unit_id": "u1", "target_date": _soon()}
    gid = client.post(
        f"/api/classes/{room.class_id}/goals", json=body, headers=room.teacher
    ).json()["id"]
    assert client.delete(f"/api/goals/{gid}", headers=room.teacher).status_code == 204
    assert client.get("/api/students/me/goal", headers=room.heads[0]).json() is None
    assert client.get(f"/api/goals/{gid}/pace", headers=room.teacher).status_code == 404


def _goal(gid: int, target: date) -> Goal:
    return Goal(id=gid, class_id=1, title="g", skills=["a"], target_date=target)


def test_the_current_goal_is_the_nearest_ahead_else_the_latest_past() -> None:
    today = date(2026, 3, 10)
    past, soon, later = (
        _goal(1, date(2026, 3, 1)),
        _goal(2, date(2026, 3, 12)),
        _goal(3, date(2026, 4, 1)),
    )
    assert pick_current([later, past, soon], today) is soon
    assert pick_current([past, _goal(4, date(2026, 2, 1))], today) is past
    assert pick_current([_goal(5, today), _goal(6, today)], today).id == 6  # type: ignore[union-attr]
    assert pick_current([], today) is None
