"""Teacher and designer journeys in a real browser: heatmap, CSV, subgroup filter and a
student's curve; item editing with inline errors, import reports, graph, refit."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in
from tests.browser.pilot import Pilot

pytestmark = pytest.mark.browser


def test_teacher_filters_sorts_and_opens_a_stuck_students_curve(
    pilot: Pilot, live_server: LiveServer
) -> None:
    log_in(pilot, live_server.seeded.teacher)
    page = pilot.page
    page.get_by_role("link", name=re.compile("Open the heatmap")).first.click()
    pilot.arrive("heatmap")
    # Legend, no-evidence cells and the stuck student are all there and distinguishable.
    expect(page.locator(".legend")).to_contain_text("no evidence yet")
    eli = page.locator("table.heatmap tbody tr").filter(has_text="Eli Cohen")
    expect(eli.locator("td.cell.none").first).to_have_text("–")
    gus = page.locator("table.heatmap tbody tr.stuck")
    expect(gus).to_contain_text("Gus Olsen")
    expect(gus.locator(".badge.stuck")).to_be_visible()
    # Subgroup filter and sort by gap.
    page.get_by_label("Subgroup").select_option("ell:yes")
    page.get_by_label("Sort students").select_option("gap")
    page.get_by_role("button", name="Apply").click()
    pilot.arrive("ell filter sorted by gap")
    names = page.locator("table.heatmap tbody th.student").all_inner_texts()
    assert sorted(n.split("\n")[0].strip() for n in names) == [
        "Bao Nguyen",
        "Carlos Diaz",
        "Fatima Zahra",
    ]
    gaps = [float(g) for g in page.locator("table.heatmap td.gap").all_inner_texts() if g != "–"]
    assert gaps == sorted(gaps, reverse=True)
    expect(page.get_by_role("heading", name=re.compile("Subgroup comparison"))).to_be_visible()
    # Back to everyone; Gus's stuck cell opens his history and mastery curve.
    pilot.go(f"/teacher/classes/{live_server.seeded.class_id}", "heatmap again")
    page.locator("tr.stuck td.cell.stuck a").first.click()
    pilot.arrive("stuck student's curve")
    expect(page.get_by_role("heading", name="Compare fractions")).to_be_visible()
    curve = page.locator("svg.mastery-curve")
    expect(curve).to_be_visible()
    points = (curve.locator("polyline").get_attribute("points") or "").split()
    answers = page.locator("table.data tbody tr").count()
    assert len(points) == answers + 1  # the prior plus one point per answer
    expect(curve.locator(".mc-wrong")).not_to_have_count(0)


def test_teacher_downloads_the_heatmap_csv(pilot: Pilot, live_server: LiveServer) -> None:
    log_in(pilot, live_server.seeded.teacher)
    pilot.go(f"/teacher/classes/{live_server.seeded.class_id}", "heatmap")
    with pilot.page.expect_download() as info:
        pilot.page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {"username", "skill_id", "mastery", "stuck"} <= set(rows[0])
    students = {r["username"] for r in rows}
    assert {"amara", "gus", "eli"} <= students
    skills = {r["skill_id"] for r in rows}
    assert len(rows) == len(students) * len(skills)
    assert any(r["username"] == "gus" and r["stuck"] == "true" for r in rows)


BROKEN_CSV = (
    "item_id,skill_ids,type,prompt,answer,tolerance,choices\n"
    "new-1,no-such-skill,numeric,What is 2 + 2?,4,,\n"
    "new-2,unit-fractions,numeric,Half of 10?,5,-1,\n"
    "new-3,unit-fractions,multiple_choice,Pick 1/2,1/3,,1/2|1/4\n"
)
GOOD_CSV = (
    "item_id,skill_ids,type,prompt,answer,tolerance,choices\n"
    "browser-new-1,unit-fractions,numeric,How many quarters make a whole?,4,,\n"
    "browser-new-2,unit-fractions,multiple_choice,Which is one half?,1/2,,1/2|1/3|1/4\n"
)


def _upload(pilot: Pilot, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    pilot.page.get_by_label("Curriculum (.yaml) or item bank (.csv)").set_input_files(str(path))
    pilot.page.get_by_role("button", name="Check and import").click()
    pilot.page.wait_for_load_state("load")
    pilot.arrive(f"import {name}")


def test_designer_imports_a_broken_file_then_a_good_one(
    pilot: Pilot, live_server: LiveServer, tmp_path: Path
) -> None:
    log_in(pilot, live_server.seeded.designer)
    page = pilot.page
    total = re.compile(r"(\d+) items")
    before = int(total.search(page.locator(".page-head").inner_text()).group(1))  # type: ignore[union-attr]
    page.get_by_role("link", name="Import").click()
    pilot.arrive("import page")
    _upload(pilot, tmp_path, "broken.csv", BROKEN_CSV)
    expect(page.locator(".error-summary")).to_contain_text("Nothing was imported")
    problems = page.locator("#problems tbody tr")
    assert problems.count() >= 3
    expect(page.locator("#problems")).to_contain_text("no-such-skill")
    expect(page.locator("#problems")).to_contain_text("row 3")
    pilot.go("/designer", "bank unchanged")
    assert int(total.search(page.locator(".page-head").inner_text()).group(1)) == before  # type: ignore[union-attr]
    pilot.go("/designer/import", "import again")
    _upload(pilot, tmp_path, "good.csv", GOOD_CSV)
    expect(page.locator(".notice.success")).to_contain_text("2 items added")
    page.get_by_role("link", name="Go to the item bank").click()
    pilot.arrive("bank after import")
    assert int(total.search(page.locator(".page-head").inner_text()).group(1)) == before + 2  # type: ignore[union-attr]


def test_designer_creates_an_item_with_inline_errors_then_edits_it(
    pilot: Pilot, live_server: LiveServer
) -> None:
    log_in(pilot, live_server.seeded.designer)
    page = pilot.page
    page.get_by_role("link", name="New item").click()
    pilot.arrive("new item form")
    page.get_by_label("Item id").fill("browser-mc-1")
    page.get_by_label("Skills").fill("unit-fractions")
    page.get_by_label("Answer type").select_option("multiple_choice")
    page.get_by_label("Choices, one per line").fill("1/2\n1/3")
    page.get_by_label("Correct choice (its text)").fill("2/4")
    page.get_by_role("button", name="Save item").click()
    pilot.arrive("inline errors")
    expect(page.locator(".error-summary")).to_contain_text("not saved")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Question")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#prompt-error")).to_be_visible()
    expect(page.locator("#answer_correct-error")).to_contain_text("not one of the choices")
    expect(page.get_by_label("Item id")).to_have_value("browser-mc-1")  # nothing typed is lost
    page.get_by_label("Question").fill("Which fraction is one half?")
    page.get_by_label("Correct choice (its text)").fill("1/2")
    page.get_by_role("button", name="Save item").click()
    pilot.arrive("saved")
    expect(page.locator(".notice.success")).to_contain_text("browser-mc-1")
    pilot.go("/designer/items/browser-mc-1", "edit item")
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()
    page.get_by_label("Question").fill("Which of these is one half?")
    page.get_by_role("button", name="Save item").click()
    pilot.arrive("edited")
    pilot.go("/designer/items/browser-mc-1", "edit item again")
    expect(page.get_by_label("Question")).to_have_value("Which of these is one half?")


def test_designer_sees_the_graph_and_runs_a_refit_to_activation(
    page: Page, own_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    # Activation recomputes every student's mastery: this journey gets its own server.
    live_server = own_server
    pilot = Pilot(page, own_server.base_url, request.node.name)
    log_in(pilot, live_server.seeded.designer)
    page.get_by_role("link", name="Skill graph").click()
    pilot.arrive("whole graph")
    with live_server.runtime.session() as s:
        n_skills = len(live_server.runtime.cache.get(s).skills)
    expect(page.locator("svg.skill-graph .sg-node")).to_have_count(n_skills)
    for path in page.locator("path.sg-edge").all()[:40]:
        src = page.locator(f'.sg-node[data-skill="{path.get_attribute("data-from")}"]')
        dst = page.locator(f'.sg-node[data-skill="{path.get_attribute("data-to")}"]')
        a, b = src.bounding_box(), dst.bounding_box()
        assert a is not None and b is not None and a["x"] + a["width"] < b["x"]
    page.get_by_role("link", name="Ratios and rates").click()
    pilot.arrive("one unit's graph")
    expect(page.locator(".sg-node")).not_to_have_count(0)

    page.get_by_role("link", name="Refit").click()
    pilot.arrive("refit page")
    page.get_by_role("button", name="Start refit").click()
    pilot.arrive("refit started")
    bar = page.locator("#fit-bar")
    expect(bar).to_have_attribute("role", "progressbar")
    # The page polls and reloads itself when the job ends.
    expect(page.locator("#fit-status")).to_contain_text("Finished", timeout=120_000)
    page.wait_for_load_state("load")
    pilot.arrive("refit finished")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    table = page.locator("table.compare")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() > 0
    page.get_by_role("button", name="Activate these parameters").click()
    pilot.arrive("activated")
    expect(page.locator(".notice.success")).to_contain_text("Activated")
    expect(page.locator(".badge.ok", has_text="active")).to_be_visible()
    pilot.finish()


def test_login_errors_role_guard_and_redirect_back(pilot: Pilot, live_server: LiveServer) -> None:
    page = pilot.page
    pilot.go("/teacher", "redirected to login")
    assert "/login?next=" in page.url
    page.get_by_label("Username").fill(live_server.seeded.teacher)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    pilot.arrive("bad password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Password")).to_be_focused()
    log_in(pilot, "amara")
    pilot.go("/teacher", "student on a teacher page")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
