"""The family API: guardians read their linked children's summaries and nothing else;
staff make the links; every account sets its own language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, SMALL_CURRICULUM

WITH_STANDARDS = SMALL_CURRICULUM.replace(
    'name: Equivalent fractions\n    grade_band: "4"\n',
    'name: Equivalent fractions\n    grade_band: "4"\n    standard: 4.NF.A.1\n',
).replace(
    'name: Adding fractions\n    grade_band: "5"\n',
    'name: Adding fractions\n    grade_band: "5"\n    standard: 5.NF.A.1\n',
)


@dataclass
class Family:
    users: dict[str, User]
    headers: dict[str, dict[str, str]]
    class_id: int

    def id(self, name: str) -> int:
        found = self.users[name].id
        assert found is not None
        return found


@pytest.fixture
def fam(client: TestClient, session: Session, runtime: Runtime) -> Family:
    assert "standard: 4.NF.A.1" in WITH_STANDARDS and "standard: 5.NF.A.1" in WITH_STANDARDS
    f.load_curriculum(session, WITH_STANDARDS)
    users = {
        "teacher": f.make_user(session, runtime, Role.teacher),
        "other_teacher": f.make_user(session, runtime, Role.teacher),
        "admin": f.make_user(session, runtime, Role.admin),
        "child": f.make_user(session, runtime, Role.student, full_name="Ana Alvarez"),
        "other_child": f.make_user(session, runtime, Role.student, full_name="Otto Other"),
        "guardian": f.make_user(session, runtime, Role.guardian),
    }
    mine = f.make_class(session, users["teacher"], [users["child"]])
    f.make_class(session, users["other_teacher"], [users["other_child"]])
    f.link_guardian(session, users["guardian"], users["child"])
    headers = {name: f.login(client, u.username) for name, u in users.items()}
    assert mine.id is not None
    return Family(users, headers, mine.id)


def test_a_guardian_lists_and_reads_only_their_child(client: TestClient, fam: Family) -> None:
    h = fam.headers["guardian"]
    children = client.get("/api/family/children", headers=h).json()
    assert children == [{"student_id": fam.id("child"), "name": "Ana Alvarez"}]
    mine = client.get(f"/api/family/children/{fam.id('child')}", headers=h)
    assert mine.status_code == 200 and mine.json()["name"] == "Ana Alvarez"
    other = client.get(f"/api/family/children/{fam.id('other_child')}", headers=h)
    missing = client.get("/api/family/children/987654", headers=h)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(fam.id("other_child")), "ID") == missing.json()[
        "detail"
    ].replace("987654", "ID")
    assert "Otto" not in other.text
    for route in (
        f"/api/students/{fam.id('child')}/mastery",
        f"/api/students/{fam.id('child')}/history",
    ):
        assert client.get(route, headers=h).status_code == 404  # staff and student routes stay shut
    assert client.get("/api/classes", headers=h).json() == []


def test_the_summary_says_what_was_practised_mastered_and_the_goal(
    client: TestClient, fam: Family
) -> None:
    child = fam.headers["child"]
    for item in ("eq1", "eq2", "eq3", "eq1"):
        reply = f.answer(client, child, item, RIGHT[item])
        assert reply.status_code == 200 and reply.json()["recorded"], reply.text
    assert f.answer(client, child, "ad1", "3/4").json()["correct"] is False
    target = (datetime.now(UTC) + timedelta(days=21)).date()
    goal = client.post(
        f"/api/classes/{fam.class_id}/goals",
        json={"title": "Fractions by spring", "skills": ["equiv", "add"],
              "target_date": target.isoformat()},
        headers=fam.headers["teacher"],
    )  # fmt: skip
    assert goal.status_code == 201, goal.text
    body = client.get(
        f"/api/family/children/{fam.id('child')}", headers=fam.headers["guardian"]
    ).json()
    recent = body["recent"]
    assert (recent["answers"], recent["correct"], recent["days_practised"]) == (5, 4, 1)
    assert recent["skills"] == ["Equivalent fractions", "Adding fractions"]
    assert recent["last_practised_at"] is not None
    standards = {s["code"]: s for s in body["standards"]}
    assert set(standards) == {"4.NF.A.1", "5.NF.A.1", None}
    assert standards["5.NF.A.1"]["status"] == "in_progress"  # one wrong answer
    assert standards[None]["skills"] == ["Multiplying fractions"]
    assert standards[None]["status"] == "not_started"
    mastery = client.get(
        f"/api/students/{fam.id('child')}/mastery", headers=fam.headers["teacher"]
    ).json()
    equiv = next(s for s in mastery["skills"] if s["skill_id"] == "equiv")
    assert standards["4.NF.A.1"]["mastered"] == int(equiv["mastered"])  # as the teacher sees it
    g = body["goal"]
    assert g["title"] == "Fractions by spring" and g["target_date"] == target.isoformat()
    assert g["skills_total"] == 2 and g["status"] in ("on track", "at risk", "behind")
    assert g["projected_low"] <= g["projected_date"] <= g["projected_high"]


def test_without_practice_or_goal_the_summary_says_so(client: TestClient, fam: Family) -> None:
    body = client.get(
        f"/api/family/children/{fam.id('child')}", headers=fam.headers["guardian"]
    ).json()
    assert body["goal"] is None
    assert body["recent"] == {"days": 7, "answers": 0, "correct": 0, "days_practised": 0,
                              "last_practised_at": None, "skills": []}  # fmt: skip
    assert {s["status"] for s in body["standards"]} == {"not_started"}


def test_staff_link_guardians_to_their_own_students(client: TestClient, fam: Family) -> None:
    t = fam.headers["teacher"]
    new = client.post(
        "/api/guardians",
        json={"username": "papa-ana", "full_name": "Papá", "password": "long-enough-1",
              "student_id": fam.id("child")},
        headers=t,
    )  # fmt: skip
    assert new.status_code == 201 and new.json()["role"] == "guardian", new.text
    papa = new.json()["id"]
    body = {"guardian_id": papa, "student_id": fam.id("child")}
    assert client.post("/api/guardian-links", json=body, headers=t).status_code == 200  # exists
    theirs = {"guardian_id": papa, "student_id": fam.id("other_child")}
    assert client.post("/api/guardian-links", json=theirs, headers=t).status_code == 404
    made = client.post("/api/guardian-links", json=theirs, headers=fam.headers["admin"])
    assert made.status_code == 201 and made.json()["student_name"] == "Otto Other"
    bad = client.post(
        "/api/guardian-links",
        json={"guardian_id": fam.id("teacher"), "student_id": fam.id("child")},
        headers=t,
    )
    assert bad.status_code == 422
    assert "guardian_id: there is no guardian account" in bad.json()["detail"]
    listed = client.get("/api/guardian-links", headers=t).json()
    assert sorted((x["guardian_username"], x["student_id"]) for x in listed) == sorted(
        [(fam.users["guardian"].username, fam.id("child")), ("papa-ana", fam.id("child"))]
    )
    papa_h = f.login(client, "papa-ana", "long-enough-1")
    kids = client.get("/api/family/children", headers=papa_h).json()
    assert {k["student_id"] for k in kids} == {fam.id("child"), fam.id("other_child")}
    gone = client.delete(f"/api/guardian-links/{papa}/{fam.id('child')}", headers=t)
    assert gone.status_code == 204
    kids = client.get("/api/family/children", headers=papa_h).json()
    assert [k["student_id"] for k in kids] == [fam.id("other_child")]


def test_a_teacher_cannot_make_an_account_for_someone_elses_student(
    client: TestClient, fam: Family
) -> None:
    reply = client.post(
        "/api/guardians",
        json={"username": "sneaky", "password": "long-enough-1",
              "student_id": fam.id("other_child")},
        headers=fam.headers["teacher"],
    )  # fmt: skip
    assert reply.status_code == 404
    admin_list = client.get("/api/users?role=guardian", headers=fam.headers["admin"]).json()
    assert "sneaky" not in {u["username"] for u in admin_list}


def test_every_account_sets_its_own_language(client: TestClient, fam: Family) -> None:
    for name in ("guardian", "child", "teacher"):
        h = fam.headers[name]
        assert client.get("/api/me/settings", headers=h).json() == {"locale": None}
        assert client.patch("/api/me/settings", json={"locale": "pt"}, headers=h).json() == {
            "locale": "pt"
        }
        assert client.get("/api/me/settings", headers=h).json() == {"locale": "pt"}
    bad = client.patch("/api/me/settings", json={"locale": "fr"}, headers=fam.headers["child"])
    assert bad.status_code == 422 and "locale" in bad.text
    back = client.patch("/api/me/settings", json={"locale": None}, headers=fam.headers["child"])
    assert back.json() == {"locale": None}
    assert client.get("/api/me/settings").status_code == 401
