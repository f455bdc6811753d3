"""The student's practice page shows the goal their teacher set, with progress and pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.services import goals
from models.goals import GoalCreate
from tests.api.pages.conftest import World, sign_in
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT


def _set_goal(world: World, title: str, student_ids: list[int] | None = None) -> None:
    today = datetime.now(UTC).date()
    assert world.classroom.id is not None
    goals.create_goal(
        world.session,
        world.runtime.cache.recent(world.session),
        world.teacher,
        world.classroom.id,
        GoalCreate(title=title, unit_id="u1", target_date=today + timedelta(days=21),
                   student_ids=student_ids),
        today,
    )  # fmt: skip


def test_the_practice_page_shows_the_goal_and_how_far_the_student_is(
    browser: TestClient, world: World
) -> None:
    _set_goal(world, "Fractions unit")
    with TestClient(world.app) as api:
        head = f.login(api, "ana")
        for _ in range(4):
            for item in ("eq1", "eq2", "eq3"):
                assert f.answer(api, head, item, RIGHT[item]).status_code == 200
    sign_in(browser, "ana")
    page = browser.get("/student").text
    assert "My goal: Fractions unit" in page
    assert "1 of 3 goal skills mastered" in page
    assert "At your pace you should get there around" in page


def test_a_student_without_a_goal_sees_no_goal_box(browser: TestClient, world: World) -> None:
    ben = world.students[1].id
    assert ben is not None
    _set_goal(world, "Only for Ben", [ben])
    sign_in(browser, "ana")
    assert 'id="my-goal"' not in browser.get("/student").text
