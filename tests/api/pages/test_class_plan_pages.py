"""The class plan page (pace flags, groups, goal form, equity) and the standards pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from models.goals import Goal
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils import factories as f
from tests.utils.curriculum import WRONG


def _plan(browser: TestClient, world: World) -> str:
    reply = browser.get(f"/teacher/classes/{world.classroom.id}/plan")
    assert reply.status_code == 200, reply.text
    return reply.text


def test_a_goal_set_on_the_plan_page_shows_each_students_pace_with_a_reason(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "teach")
    page = _plan(browser, world)
    assert "No student has a goal yet" in page
    target = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    made = browser.post(
        f"/teacher/classes/{world.classroom.id}/goals",
        data={"csrf_token": csrf_of(page), "what": "unit", "unit_id": "u1", "who": "class",
              "target_date": target, "title": "Fractions by spring"},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith(f"/teacher/classes/{world.classroom.id}/plan?made=")
    page = browser.get(made.headers["location"]).text
    assert "Goal set: Fractions by spring" in page
    rows = re.findall(r'<tr data-student="(\d+)">', page)
    assert sorted(int(r) for r in rows) == sorted(s.id for s in world.students if s.id)
    assert page.count("pace-flag") == 2 and "No practice in the last 14 days" in page


def test_a_bad_goal_form_is_shown_again_with_the_problem_and_nothing_stored(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "teach")
    page = _plan(browser, world)
    reply = browser.post(
        f"/teacher/classes/{world.classroom.id}/goals",
        data={"csrf_token": csrf_of(page), "what": "skills", "who": "chosen",
              "target_date": "2001-01-01"},
    )  # fmt: skip
    assert reply.status_code == 422
    assert "Choose at least one skill." in reply.text
    assert "Choose at least one student" in reply.text
    past = browser.post(
        f"/teacher/classes/{world.classroom.id}/goals",
        data={"csrf_token": csrf_of(page), "what": "unit", "unit_id": "u1", "who": "class",
              "target_date": "2001-01-01"},
    )  # fmt: skip
    assert past.status_code == 422 and "is in the past" in past.text
    assert world.session.exec(select(Goal)).all() == []


def test_a_suggested_group_becomes_a_goal_for_its_students(
    browser: TestClient, world: World
) -> None:
    with TestClient(world.app) as api:
        for student in world.students:  # both struggle on adding before equivalence
            head = f.login(api, student.username)
            for item in ("ad1", "ad2", "ad1", "ad2", "ad1"):
                assert f.answer(api, head, item, WRONG[item]).status_code == 200
    sign_in(browser, "teach")
    page = _plan(browser, world)
    assert "2 students are held back by Equivalent fractions" in page
    form = re.search(r'<li class="card group-suggestion".*?</form>', page, re.S)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    ids = re.findall(r'name="student_ids" value="(\d+)"', form.group(0))
    data = fields | {
        "student_ids": ids,
        "target_date": (datetime.now(UTC).date() + timedelta(7)).isoformat(),
    }
    made = browser.post(f"/teacher/classes/{world.classroom.id}/goals", data=data)
    assert made.status_code == 303, made.text
    goal = world.session.exec(select(Goal)).one()
    assert goal.skills == ["equiv"] and not goal.whole_class


def test_the_standards_page_and_csv(browser: TestClient, world: World) -> None:
    sign_in(browser, "teach")
    page = browser.get(f"/teacher/classes/{world.classroom.id}/standards")
    assert page.status_code == 200
    assert "gives no standard codes" in page.text  # the small test curriculum has none
    csv = browser.get(f"/teacher/classes/{world.classroom.id}/standards.csv")
    assert csv.status_code == 200 and csv.text.startswith("student_id,username")
    assert 'filename="Year-5-Maple-standards.csv"' in csv.headers["content-disposition"]


def test_the_plan_is_the_class_teachers_only(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    assert browser.get(f"/teacher/classes/{world.classroom.id}/plan").status_code == 403
