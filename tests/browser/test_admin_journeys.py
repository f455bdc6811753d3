"""Admin console journeys in a real browser: a roster dry run then applied, a broken
roster refused with its problems, a student exported and purged; keyboard and axe."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models.users import Role
from tests.browser.conftest import LiveServer, log_in
from tests.browser.pilot import Pilot
from tests.browser.seed import new_user
from tests.utils.roster import small_school

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_pilot(
    page: Page, own_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Pilot]:
    """A pilot on a server of its own (these journeys change the school), signed in as admin."""
    new_user(own_server.runtime, Role.admin, "root", "Ada Admin")
    pilot = Pilot(page, own_server.base_url, request.node.name)
    log_in(pilot, "root")
    yield pilot
    pilot.finish()


def _upload(pilot: Pilot, data: bytes, folder: Path) -> None:
    archive = folder / "oneroster.zip"
    archive.write_bytes(data)
    pilot.go("/admin/roster", "roster page")
    pilot.page.set_input_files("#file", str(archive))
    pilot.page.get_by_role("button", name="Check the roster (dry run)").click()
    pilot.arrive("roster report")


def test_admin_tries_a_roster_then_applies_it(admin_pilot: Pilot, tmp_path: Path) -> None:
    page = admin_pilot.page
    page.get_by_role("link", name="Admin").click()
    admin_pilot.arrive("admin home")
    expect(page.get_by_role("navigation", name="Admin console")).to_be_visible()
    _upload(admin_pilot, small_school().zip(), tmp_path)
    expect(page.get_by_role("heading", name="Dry run: nothing has changed yet")).to_be_visible()
    expect(page.locator("#changes")).to_contain_text("amy.lee")
    admin_pilot.go("/admin/users?q=amy.lee", "nobody yet")
    expect(page.locator("#user-count")).to_have_text("0 accounts")
    page.go_back()
    admin_pilot.arrive("report again")
    page.get_by_role("button", name="Apply these changes").focus()
    admin_pilot.press("Enter", "applied")  # by keyboard
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("Changed 14 records")
    admin_pilot.go("/admin", "schools and classes")
    expect(page.locator("#classes")).to_contain_text("Math 7 (7A)")
    expect(page.locator("#schools")).to_contain_text("Hill Middle School")
    admin_pilot.go("/admin/users?q=amy", "amy found")
    page.get_by_role("link", name="amy.lee").click()
    admin_pilot.arrive("amy's account")
    expect(page.locator("#enrolments")).to_contain_text("Math 7 (7A)")
    expect(page.locator("#enrolments")).to_contain_text("sex: female")


def test_a_broken_roster_is_refused_with_each_problem(admin_pilot: Pilot, tmp_path: Path) -> None:
    roster = small_school()
    roster.users[2] |= {"username": "ben ortiz"}
    roster.enrolments[3] |= {"role": "wizard"}
    _upload(admin_pilot, roster.zip(), tmp_path)
    page = admin_pilot.page
    expect(page.get_by_role("heading", name="Nothing was imported: 2 problems")).to_be_visible()
    rows = page.locator("#problems tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("users.csv")
    expect(rows.nth(0)).to_contain_text("username")
    expect(rows.nth(1)).to_contain_text("enrollments.csv")
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)


def test_admin_exports_then_purges_a_student(admin_pilot: Pilot, own_server: LiveServer) -> None:
    page = admin_pilot.page
    username, student_id = own_server.new_student("Quinn Purge")
    admin_pilot.go(f"/admin/users/{student_id}", "student account")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download as JSON").click()
    export = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert export["student"]["username"] == username
    page.get_by_role("link", name="Purge this student…").click()
    admin_pilot.arrive("purge form")
    page.get_by_label(re.compile("Type the student's username")).fill("not-them")
    page.get_by_label("Why (the request it answers)").fill("Quinn's parents asked")
    page.get_by_role("button", name="Purge the student").click()
    admin_pilot.arrive("purge refused")
    expect(page.locator("#error-summary")).to_contain_text("username exactly")
    expect(page.locator("#error-summary")).to_contain_text("must not name the student")
    page.get_by_label(re.compile("Type the student's username")).fill(username)
    page.get_by_label("Why (the request it answers)").fill("written request from the family")
    page.get_by_role("button", name="Purge the student").focus()
    admin_pilot.press("Enter", "purged")
    expect(page.locator("#purged")).to_contain_text("The student was purged")
    events = page.locator("#events tbody tr")
    expect(events.first).to_contain_text("purge")
    expect(events.first).to_contain_text("written request from the family")
    expect(page.locator("#events")).not_to_contain_text("Quinn")
    admin_pilot.go(f"/admin/users?q={username}", "gone")
    expect(page.locator("#user-count")).to_have_text("0 accounts")
