"""The class heatmap: mastery per student and skill, stuck flags, subgroups and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG


@pytest.fixture
def klass(
    client: TestClient, session: Session, runtime: Runtime
) -> tuple[int, dict[str, str], list[dict[str, str]]]:
    f.load_curriculum(session)
    teacher = f.make_user(session, runtime, Role.teacher)
    names = ["ana", "ben", "cy"]
    students = [f.make_user(session, runtime, Role.student, n) for n in names]
    # a name a spreadsheet would run as a formula
    students.append(f.make_user(session, runtime, Role.student, "eve", full_name="=HYPERLINK(1)"))
    names.append("eve")
    attrs = {
        students[0].id: {"ell": "yes", "iep": "no"},
        students[1].id: {"ell": "no"},
        students[2].id: {"ell": "yes"},
    }
    classroom = f.make_class(session, teacher, students, attributes=attrs)  # type: ignore[arg-type]
    assert classroom.id is not None
    logins = [f.login(client, n) for n in names]
    return classroom.id, f.login(client, teacher.username), logins


def test_cells_and_the_stuck_flag(
    client: TestClient, runtime: Runtime, klass: tuple[int, dict[str, str], list[dict[str, str]]]
) -> None:
    class_id, teacher, students = klass
    for _ in range(runtime.settings.stuck_attempts):
        f.answer(client, students[0], "eq2", WRONG["eq2"])
    f.answer(client, students[1], "eq1", RIGHT["eq1"])
    body = client.get(f"/api/classes/{class_id}/heatmap", headers=teacher).json()
    assert [s["skill_id"] for s in body["skills"]] == ["equiv", "add", "mul"]
    rows = {r["username"]: r for r in body["students"]}
    assert set(rows) == {"ana", "ben", "cy", "eve"}
    ana = rows["ana"]["cells"][0]
    assert ana["attempts"] == 10 and ana["stuck"] and not ana["mastered"]
    ben = rows["ben"]["cells"][0]
    assert ben["attempts"] == 1 and not ben["stuck"] and ben["mastery"] > ana["mastery"]
    assert "10 attempts" in body["stuck_definition"]
    untouched = rows["cy"]["cells"][2]
    assert untouched["attempts"] == 0 and untouched["mastery"] == pytest.approx(0.3)


def test_mastered_flag_is_decided_on_the_effective_mastery_the_cell_carries(
    client: TestClient, runtime: Runtime, klass: tuple[int, dict[str, str], list[dict[str, str]]]
) -> None:
    class_id, teacher, students = klass
    for _ in range(6):
        f.answer(client, students[0], "eq1", RIGHT["eq1"])
    f.answer(client, students[1], "eq1", WRONG["eq1"])
    body = client.get(f"/api/classes/{class_id}/heatmap", headers=teacher).json()
    thresholds = {s["skill_id"]: s["threshold"] for s in body["skills"]}
    cells = [c for r in body["students"] for c in r["cells"]]
    assert any(c["mastered"] for c in cells)
    for c in cells:
        assert 0.0 <= c["effective"] <= 1.0
        assert c["mastered"] == (c["effective"] >= thresholds[c["skill_id"]])


def test_subgroups_by_attribute_and_by_value(
    client: TestClient, klass: tuple[int, dict[str, str], list[dict[str, str]]]
) -> None:
    class_id, teacher, students = klass
    f.answer(client, students[0], "eq1", RIGHT["eq1"])
    url = f"/api/classes/{class_id}/heatmap"
    by_attr = client.get(url, params={"subgroup": "ell"}, headers=teacher).json()["groups"]
    assert [(g["group"], g["students"]) for g in by_attr] == [
        ("no", 1),
        ("yes", 2),
        ("(not set)", 1),
    ]
    yes = by_attr[1]["skills"][0]
    assert yes["mean_attempts"] == 0.5
    by_value = client.get(url, params={"subgroup": "ell:yes"}, headers=teacher).json()["groups"]
    assert [(g["group"], g["students"]) for g in by_value] == [("ell=yes", 2), ("others", 2)]
    bad = client.get(url, params={"subgroup": "ell:"}, headers=teacher)
    assert bad.status_code == 422 and "attribute:value" in bad.text


def test_csv_download_is_long_form_and_spreadsheet_safe(
    client: TestClient, klass: tuple[int, dict[str, str], list[dict[str, str]]]
) -> None:
    class_id, teacher, _ = klass
    reply = client.get(f"/api/classes/{class_id}/heatmap?format=csv", headers=teacher)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert len(rows) == 4 * 3
    assert {r["full_name"] for r in rows} == {"Ana", "Ben", "Cy", "'=HYPERLINK(1)"}
    grouped = client.get(
        f"/api/classes/{class_id}/heatmap?format=csv&subgroup=ell", headers=teacher
    )
    header = next(csv.reader(io.StringIO(grouped.text)))
    assert header[:3] == ["group", "students", "skill_id"]
