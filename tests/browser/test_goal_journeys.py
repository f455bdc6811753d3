"""Goal and report journeys in a real browser: a teacher sets a goal for a suggested small
group from the class plan; the standards report prints and downloads; a student who is
unlikely to make the target date is flagged at risk with the reason in words."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from api.services import goals, pace
from models.goals import GoalCreate
from models.users import User
from tests.browser.conftest import LiveServer, log_in
from tests.browser.pilot import Pilot
from tests.browser.seed import answer, items_of

pytestmark = pytest.mark.browser


@pytest.fixture
def own_pilot(
    page: Page, own_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Pilot]:
    p = Pilot(page, own_server.base_url, request.node.name)
    yield p
    p.finish()


def _open_plan(pilot: Pilot, server: LiveServer) -> None:
    log_in(pilot, server.seeded.teacher)
    pilot.page.get_by_role("link", name=re.compile("Open the heatmap")).first.click()
    pilot.arrive("heatmap")
    pilot.page.get_by_role("link", name="Class plan: goals, pace, groups").click()
    pilot.arrive("class plan")


def test_teacher_sets_a_goal_for_a_suggested_group(
    own_pilot: Pilot, own_server: LiveServer
) -> None:
    runtime = own_server.runtime
    stuck_on = "compare-fractions"
    kids = [own_server.new_student(n) for n in ("Hana Sato", "Ivan Petrov")]
    for _, sid in kids:  # both fail again and again on the same skill
        for i in range(6):
            answer(runtime, sid, items_of(runtime, stuck_on)[i % 3], correct=False)
    _open_plan(own_pilot, own_server)
    page = own_pilot.page
    group = page.locator("li.group-suggestion").filter(has_text="Hana Sato").first
    expect(group).to_contain_text("Ivan Petrov")
    expect(group).to_contain_text("are held back by")
    expect(group.locator("ol li")).not_to_have_count(0)
    members = sorted(
        int(v or 0)
        for v in group.locator('input[name="student_ids"]').evaluate_all(
            "els => els.map(e => e.value)"
        )
    )
    assert {sid for _, sid in kids} <= set(members)  # seeded students may share the skill
    target = (datetime.now(UTC).date() + timedelta(days=9)).isoformat()
    group.get_by_label("Target date").fill(target)
    group.get_by_role("button", name=re.compile("Make this a goal")).click()
    own_pilot.arrive("goal set for the group")
    expect(page.get_by_role("status").filter(has_text="Goal set: Small group")).to_be_visible()
    table = page.locator("#pace-table")
    for name in ("Hana Sato", "Ivan Petrov"):
        row = table.locator("tbody tr").filter(has_text=name)
        expect(row).to_contain_text("Small group")
        expect(row.locator(".pace-flag")).to_have_text(re.compile("on track|at risk|behind"))
        expect(row.locator(".pace-reason")).not_to_be_empty()
    with runtime.session() as s:
        staff = s.exec(select(User).where(User.username == own_server.seeded.teacher)).one()
        made = goals.class_goals(s, staff, own_server.seeded.class_id)
    assert [(g.student_ids, g.target_date.isoformat()) for g in made] == [(members, target)]


def test_the_standards_report_prints_and_downloads(pilot: Pilot, live_server: LiveServer) -> None:
    log_in(pilot, live_server.seeded.teacher)
    pilot.go(f"/teacher/classes/{live_server.seeded.class_id}", "heatmap")
    pilot.page.get_by_role("link", name="Standards report").click()
    pilot.arrive("standards report")
    page = pilot.page
    summary = page.locator("#standards-summary tbody tr")
    expect(summary.first).to_be_visible()
    codes = [c.strip() for c in page.locator("#standards-summary tbody th").all_inner_texts()]
    assert codes and all(re.match(r"^\d\.[A-Z]+\.", c) for c in codes)
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Download CSV")).to_be_hidden()  # print view
    page.emulate_media(media="screen")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith("-standards.csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert {r["standard"] for r in rows} == set(codes)
    assert len(rows) == len(codes) * len({r["username"] for r in rows})
    assert {"amara", "gus", "eli"} <= {r["username"] for r in rows}
    assert {r["status"] for r in rows} <= {"mastered", "in progress", "not started"}


def test_an_at_risk_student_is_flagged_with_the_reason(
    own_pilot: Pilot, own_server: LiveServer
) -> None:
    """The target date is set between the projected date and the late end of its range:
    likely in time, not certain, which is what "at risk" means."""
    runtime, seeded = own_server.runtime, own_server.seeded
    username, sid = own_server.new_student("Jonas Berg")
    for i in range(12):
        answer(runtime, sid, items_of(runtime, "equivalent-fractions")[i % 3], correct=i % 2 == 0)
    today = datetime.now(UTC).date()
    with runtime.session() as s:
        staff = s.exec(select(User).where(User.username == seeded.teacher)).one()
        catalog = runtime.cache.recent(s)
        probe = goals.create_goal(
            s, catalog, staff, seeded.class_id,
            GoalCreate(unit_id="fraction-foundations", target_date=today + timedelta(days=300),
                       student_ids=[sid]),
            today,
        )  # fmt: skip
        shown = pace.goal_progress(s, runtime, sid)
        assert shown is not None and shown.pace.projected_date and shown.pace.date_high
        assert shown.pace.projected_date < shown.pace.date_high
        goals.archive_goal(s, staff, probe.id)
        goals.create_goal(
            s, catalog, staff, seeded.class_id,
            GoalCreate(title="Foundations soon", unit_id="fraction-foundations",
                       target_date=shown.pace.projected_date, student_ids=[sid]),
            today,
        )  # fmt: skip
    _open_plan(own_pilot, own_server)
    row = own_pilot.page.locator("#pace-table tbody tr").filter(has_text="Jonas Berg")
    expect(row.locator(".pace-flag")).to_have_text("at risk")
    expect(row.locator(".pace-reason")).to_contain_text("likely reached by")
    expect(row.locator(".pace-reason")).to_contain_text("is after it")
    assert username.startswith("jonas")
