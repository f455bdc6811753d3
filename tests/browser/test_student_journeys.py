"""Student journeys in a real browser: practise to mastery, get sent to a prerequisite,
practise with the keyboard alone, use the skill map, resume after leaving."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, log_in
from tests.browser.helpers import answer_on_screen, item_on_screen, item_type
from tests.browser.pilot import Pilot
from tests.browser.seed import items_of, right_answer

pytestmark = pytest.mark.browser


def _log_out(pilot: Pilot) -> None:
    pilot.page.get_by_role("button", name="Log out").click()
    pilot.page.wait_for_load_state("load")
    pilot.arrive("logged out")


def test_student_practises_to_mastery_and_the_teacher_heatmap_shows_it(
    pilot: Pilot, live_server: LiveServer
) -> None:
    username, student_id = live_server.new_student("Maya Mastery")
    log_in(pilot, username)
    page = pilot.page
    expect(page.get_by_role("heading", name=re.compile("What's next"))).to_be_visible()
    expect(page.locator(".next-choice")).to_have_count(3)
    mastered_skill = None
    for n in range(1, 13):
        page.locator(".next-choice").first.get_by_role("link").click()
        pilot.arrive(f"item {n}")
        answer_on_screen(pilot, live_server, correct=True, name=f"answered {n}")
        expect(page.locator(".solution, #feedback")).not_to_have_count(0)
        badge = page.locator("aside .progress-row").filter(has=page.locator(".badge.ok"))
        if badge.count():
            mastered_skill = badge.first.locator(".progress-label span").first.inner_text()
            break
        page.goto(pilot.url("/student"))
        pilot.arrive(f"next {n}")
    assert mastered_skill, "no skill reached mastery in 12 right answers"
    expect(page.locator("aside")).to_contain_text("Mastered!")
    _log_out(pilot)

    log_in(pilot, live_server.seeded.teacher)
    pilot.go(f"/teacher/classes/{live_server.seeded.class_id}", "heatmap")
    row = page.locator("table.heatmap tbody tr").filter(has_text="Maya Mastery")
    cell = row.locator(f'td.cell a[aria-label^="Maya Mastery, {mastered_skill}:"]')
    expect(cell).to_have_count(1)
    expect(cell).to_have_attribute("aria-label", re.compile("mastered$"))
    expect(row.locator("td.cell.mastered")).not_to_have_count(0)
    assert student_id > 0


def test_struggling_student_is_sent_to_a_prerequisite_and_told_why(
    pilot: Pilot, live_server: LiveServer
) -> None:
    username, _ = live_server.new_student("Sam Struggle")
    log_in(pilot, username)
    page = pilot.page
    hard = items_of(live_server.runtime, "equivalent-fractions")
    # Two wrong tries on one item: the worked solution and the answer appear.
    pilot.go(f"/student/practice/{hard[0]}", "hard item")
    answer_on_screen(pilot, live_server, correct=False, name="first wrong try")
    expect(page.locator("#feedback")).to_contain_text("1 more try")
    answer_on_screen(pilot, live_server, correct=False, name="second wrong try")
    expect(page.locator("#feedback")).to_contain_text("The answer is")
    expect(page.locator("#answer-form")).to_have_count(0)
    # A third wrong answer in a row on the skill makes it a struggle.
    pilot.go(f"/student/practice/{hard[1]}", "another hard item")
    answer_on_screen(pilot, live_server, correct=False, name="third wrong answer")
    pilot.go("/student", "sent to a prerequisite")
    first = page.locator(".next-choice").first
    expect(first).to_contain_text("Fill a gap")
    expect(first.locator(".why")).to_contain_text("Equivalent fractions")
    expect(first.locator(".why")).to_contain_text("first")
    prereq = first.locator("h3").inner_text()
    assert prereq in ("Unit fractions", "Fractions on a number line"), prereq


def test_keyboard_only_practice(pilot: Pilot, live_server: LiveServer) -> None:
    username, _ = live_server.new_student("Kai Keys")
    log_in(pilot, username)
    page = pilot.page
    # The skip link is the first stop and it is visible when focused.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # Tab through to the suggested choice; every stop shows a visible focus style.
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.boxShadow, s.backgroundColor]; })()"
        )
        assert style[0] != "none" or style[1] != "none", f"no visible focus on {focused!r}"
        if focused.startswith("Start this"):
            break
    else:
        pytest.fail("never reached the suggested choice with Tab")
    pilot.press("Enter", "practice by keyboard")
    item = item_on_screen(page)
    kind = item_type(live_server, item)
    answer = right_answer(live_server.runtime, item)
    if kind == "multiple_choice":
        # Focus starts on the first option; arrow keys move and select, Enter submits.
        radios = page.locator("#answer-form input[type=radio]")
        expect(radios.first).to_be_focused()
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        target = next(i for i, v in enumerate(values) if (v or "").casefold() == answer.casefold())
        page.keyboard.press("Space")
        for _ in range(target):
            page.keyboard.press("ArrowDown")
    elif kind == "fraction":
        expect(page.locator("#numerator")).to_be_focused()
        whole, _, frac = answer.rpartition(" ")
        num, _, den = frac.partition("/")
        if whole:
            page.keyboard.press("Shift+Tab")
            page.keyboard.type(whole)
            page.keyboard.press("Tab")
        page.keyboard.type(num)
        page.keyboard.press("Tab")
        page.keyboard.type(den)
    else:
        expect(page.locator("#answer")).to_be_focused()
        page.keyboard.type(answer)
    pilot.press("Enter", "feedback by keyboard")
    feedback = page.locator("#feedback")
    expect(feedback).to_be_focused()
    expect(feedback).to_contain_text("Correct")
    expect(page.locator("#feedback-region")).to_have_attribute("aria-live", "polite")
    # Onwards with the keyboard: the next choices follow the feedback.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()").startswith("Start this"):
            break
    else:
        pytest.fail("no way onwards from the feedback by keyboard")
    pilot.press("Enter", "next item by keyboard")
    expect(page.locator("#answer-form")).to_be_visible()


def test_skill_map_shows_states_and_sets_a_goal(pilot: Pilot, live_server: LiveServer) -> None:
    log_in(pilot, "bao")
    pilot.go("/student/map?unit=fraction-foundations", "skill map")
    page = pilot.page
    svg = page.locator("svg.skill-graph").first
    expect(svg).to_be_visible()
    expect(page.locator("a.sg-node.sg-mastered")).not_to_have_count(0)
    expect(page.locator("a.sg-node.sg-locked")).not_to_have_count(0)
    # Every arrow goes from a prerequisite on the left to a skill further right.
    for path in page.locator("path.sg-edge").all():
        src = page.locator(f'.sg-node[data-skill="{path.get_attribute("data-from")}"]')
        dst = page.locator(f'.sg-node[data-skill="{path.get_attribute("data-to")}"]')
        a, b = src.bounding_box(), dst.bounding_box()
        assert a is not None and b is not None and a["x"] + a["width"] < b["x"]
    locked = page.locator("a.sg-node.sg-locked").first
    name = (locked.get_attribute("aria-label") or "").split(":")[0]
    locked.focus()
    pilot.press("Enter", "goal set from the map")
    expect(page.locator(".notice")).to_contain_text(f"Your goal: {name}")
    expect(page.locator(".next-choice")).not_to_have_count(0)


def test_student_resumes_an_unfinished_item_after_logging_out(
    pilot: Pilot, live_server: LiveServer
) -> None:
    username, _ = live_server.new_student("Rita Resume")
    log_in(pilot, username)
    page = pilot.page
    page.locator(".next-choice").first.get_by_role("link").click()
    pilot.arrive("first item")
    item = answer_on_screen(pilot, live_server, correct=False, name="one wrong try")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")
    pilot.arrive("logged out")
    log_in(pilot, username)
    resume = page.locator(
        "section", has=page.get_by_role("heading", name="Pick up where you left off")
    )
    expect(resume).to_contain_text("1 of 2 tries used")
    resume.get_by_role("link", name="Continue this question").click()
    pilot.arrive("resumed item")
    assert item_on_screen(page) == item
    expect(page.locator("#answer-form")).to_contain_text("Try 2 of 2")


def test_the_pages_policy_refuses_inline_code_and_the_journeys_notice(
    pilot: Pilot, live_server: LiveServer
) -> None:
    """Every journey fails on a CSP violation; here is one made on purpose, to show the
    browser enforces the policy and the pilot catches it."""
    pilot.go("/login", "login")
    pilot.page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.injected = true";
            document.body.appendChild(s);
            const d = document.createElement("div");
            d.setAttribute("style", "color: red");
            document.body.appendChild(d);
        }"""
    )
    pilot.page.wait_for_timeout(200)
    assert pilot.page.evaluate("() => window.injected") is None  # refused, not run
    seen = " ".join(pilot.csp_violations)
    assert "script-src" in seen and "style-src" in seen, pilot.csp_violations
    pilot.csp_violations.clear()  # the deliberate ones; the journey itself must have none
