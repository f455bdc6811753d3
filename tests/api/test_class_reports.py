"""Small groups, the standards report and the equity panel through the API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM, WRONG

# the small curriculum with standard codes: two skills share one code, one has none
CODED = SMALL_CURRICULUM.replace(
    '    grade_band: "4"\n', '    grade_band: "4"\n    standard: 4.NF.A.1\n', 1
).replace(
    '    name: Adding fractions\n    grade_band: "5"\n',
    '    name: Adding fractions\n    grade_band: "5"\n    standard: 4.NF.A.1\n',
)


@dataclass
class Room:
    teacher: dict[str, str]
    students: list[User]
    heads: list[dict[str, str]]
    class_id: int


def _room(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    n: int,
    attributes: list[dict[str, str]] | None = None,
) -> Room:
    f.load_curriculum(session, CODED)
    teacher = f.make_user(session, runtime, Role.teacher)
    students = [f.make_user(session, runtime, Role.student) for _ in range(n)]
    attrs = {s.id: a for s, a in zip(students, attributes or [], strict=False) if s.id}
    classroom = f.make_class(session, teacher, students, attributes=attrs)
    assert classroom.id is not None
    return Room(
        teacher=f.login(client, teacher.username),
        students=students,
        heads=[f.login(client, s.username) for s in students],
        class_id=classroom.id,
    )


def _master_equiv_and_add(client: TestClient, head: dict[str, str]) -> None:
    for _ in range(4):
        for item in ("eq1", "eq2", "eq3", "ad1", "ad2"):
            assert f.answer(client, head, item, RIGHT[item]).status_code == 200


def _struggle_on_add(client: TestClient, head: dict[str, str]) -> None:
    for item in ("ad1", "ad2", "ad1", "ad2", "ad1"):
        assert f.answer(client, head, item, WRONG[item]).status_code == 200


def test_students_held_back_by_the_same_skill_are_suggested_as_a_group_and_become_a_goal(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    room = _room(client, session, runtime, 3)
    _struggle_on_add(client, room.heads[0])
    _struggle_on_add(client, room.heads[1])
    _master_equiv_and_add(client, room.heads[2])
    reply = client.get(f"/api/classes/{room.class_id}/groups", headers=room.teacher)
    assert reply.status_code == 200, reply.text
    groups = reply.json()["groups"]
    strugglers = sorted(s.id for s in room.students[:2] if s.id is not None)
    assert [(g["skill_id"], sorted(m["student_id"] for m in g["students"])) for g in groups] == [
        ("equiv", strugglers)
    ]
    group = groups[0]
    assert group["size"] == 2 and 2 <= len(group["items"]) <= 3
    assert {i["item_id"] for i in group["items"]} <= {"eq1", "eq2", "eq3"}
    assert "2 students are held back by Equivalent fractions" in group["reason"]
    assert "gap" in group["reason"]
    made = client.post(
        f"/api/classes/{room.class_id}/goals",
        json={
            "skills": [group["skill_id"]],
            "student_ids": strugglers,
            "target_date": (datetime.now(UTC).date() + timedelta(days=7)).isoformat(),
        },
        headers=room.teacher,
    )
    assert made.status_code == 201, made.text
    for head in room.heads[:2]:
        assert client.get("/api/students/me/goal", headers=head).json()["goal"]["skills"] == [
            "equiv"
        ]
    assert client.get("/api/students/me/goal", headers=room.heads[2]).json() is None


def test_the_standards_report_rates_each_code_per_student_and_class_and_downloads(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    room = _room(client, session, runtime, 2)
    _master_equiv_and_add(client, room.heads[0])
    reply = client.get(f"/api/classes/{room.class_id}/standards", headers=room.teacher)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert [(s["code"], s["skills"]) for s in report["standards"]] == [
        ("4.NF.A.1", ["equiv", "add"])
    ]
    assert report["uncoded_skills"] == ["mul"]
    cells = {r["student_id"]: r["standards"][0] for r in report["students"]}
    assert cells[room.students[0].id]["status"] == "mastered"
    assert cells[room.students[1].id]["status"] == "not started"
    assert report["summary"] == [
        {"code": "4.NF.A.1", "mastered": 1, "in_progress": 0, "not_started": 1,
         "share_mastered": 0.5}
    ]  # fmt: skip
    download = client.get(
        f"/api/classes/{room.class_id}/standards?format=csv", headers=room.teacher
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["username"], r["standard"], r["status"]) for r in rows] == [
        (room.students[0].username, "4.NF.A.1", "mastered"),
        (room.students[1].username, "4.NF.A.1", "not started"),
    ]


@pytest.mark.parametrize("small", [1, 4])
def test_the_equity_panel_compares_subgroups_and_suppresses_small_ones(
    client: TestClient, session: Session, runtime: Runtime, small: int
) -> None:
    attrs = [{"ell": "yes"}] * 5 + [{"ell": "no"}] * small
    room = _room(client, session, runtime, 5 + small, attrs)
    _master_equiv_and_add(client, room.heads[0])
    reply = client.get(f"/api/classes/{room.class_id}/equity", headers=room.teacher)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["min_group_size"] == 5
    by_value = {(g["attribute"], g["value"]): g for g in body["groups"]}
    assert set(by_value) == {("ell", "yes"), ("ell", "no")}
    shown, hidden = by_value[("ell", "yes")], by_value[("ell", "no")]
    assert shown["students"] == 5 and not shown["suppressed"]
    assert shown["mastered_per_week"] == pytest.approx(2 / 5)  # one student, two skills, week 1
    assert shown["answers_per_week"] == pytest.approx(20 * 7 / 5)
    assert hidden["suppressed"] and hidden["students"] is None
    assert hidden["mastered_per_week"] is None and hidden["answers_per_week"] is None
