"""LTI 1.3 journeys in Chromium: the test LMS (tests/utils/lti_platform.py, on localhost)
opens Pathways (on 127.0.0.1, another site) in an iframe, as a school's LMS does.

The launch is a cross-site form POST into the frame, and every later request of the
framed pages is cross-site too: these journeys pass only because the launch's
cookies are SameSite=None; Secure (Chromium treats loopback as a secure context).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Frame, Page

from tests.browser.conftest import VIEWPORT
from tests.browser.pilot import CSP_LISTENER, Pilot
from tests.utils.lti_world import LtiWorld, lti_world

pytestmark = pytest.mark.browser

CONTEXT = "math-5"
TITLE = "Grade 5 Math"


@pytest.fixture(scope="module")
def world() -> Iterator[LtiWorld]:
    with lti_world(background=True) as w:
        p = w.platform
        p.add_member(CONTEXT, TITLE, "s-ada", "Ada Lovelace", "Learner")
        p.add_member(CONTEXT, TITLE, "s-bo", "Bo Diddley", "Learner")
        p.add_member(CONTEXT, TITLE, "t-cy", "Cy Young", "Instructor")
        p.add_link("fractions-add", CONTEXT, {"pathways_goal": "skill:add"})
        yield w


@pytest.fixture
def lms(chromium: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A browser tab on the LMS; the list collects CSP violations from every frame."""
    context = chromium.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.add_init_script(CSP_LISTENER)
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "CSP violation" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    yield page, violations
    context.close()


def _open(world: LtiWorld, page: Page, user: str, link: str = "", deep_link: bool = False) -> Frame:
    query = f"?user={user}&link={link}" + ("&deep_link=true" if deep_link else "")
    page.goto(f"{world.platform.base_url}/course/{CONTEXT}{query}")
    handle = page.locator("#tool").element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.locator("main").wait_for()  # through the login, the platform and the launch
    return frame


def _wait_for_path(frame: Frame, fragment: str) -> None:
    deadline = time.monotonic() + 20
    while fragment not in frame.url and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fragment in frame.url, frame.url


def test_student_launch_lands_in_practice_on_the_goal(
    world: LtiWorld, lms: tuple[Page, list[str]]
) -> None:
    page, violations = lms
    frame = _open(world, page, "s-ada", "fractions-add")
    _wait_for_path(frame, "/student?goal=add")
    assert "Adding fractions" in frame.locator("main").inner_text()
    assert "Ada Lovelace" in frame.locator("header").inner_text()
    assert violations == []


def test_teacher_launch_lands_on_the_class_heatmap(
    world: LtiWorld, lms: tuple[Page, list[str]]
) -> None:
    page, violations = lms
    frame = _open(world, page, "t-cy", "fractions-add")
    _wait_for_path(frame, "/teacher/classes/")
    assert frame.title().startswith(f"{TITLE}: class heatmap")
    assert TITLE in frame.locator("h1").inner_text()
    assert violations == []


def test_a_students_answer_reaches_the_lms_gradebook(
    world: LtiWorld, lms: tuple[Page, list[str]]
) -> None:
    page, violations = lms
    frame = _open(world, page, "s-bo", "fractions-add")
    _wait_for_path(frame, "/student?goal=add")
    frame.locator("main a[href^='/student/practice/']").first.click()
    frame.locator("#answer-form").wait_for()
    if frame.locator("#answer-form input[type=radio]").count():
        frame.locator("#answer-form input[type=radio]").first.check()
    elif frame.locator("#numerator").count():
        frame.locator("#numerator").fill("1")
        frame.locator("#denominator").fill("2")
    else:
        frame.locator("#answer").fill("1")
    frame.get_by_role("button", name="Check answer").click()
    link = world.platform.links["fractions-add"]
    assert link.lineitem is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = [s for s in world.platform.scores[link.lineitem] if s["userId"] == "s-bo"]
        if got:
            break
        time.sleep(0.1)
    assert got, "no score reached the platform's line item"
    assert got[0]["scoreMaximum"] == 2.0 and got[0]["gradingProgress"] == "FullyGraded"
    assert violations == []


def test_deep_linking_returns_a_signed_link_the_lms_verifies(
    world: LtiWorld, lms: tuple[Page, list[str]]
) -> None:
    page, violations = lms
    frame = _open(world, page, "t-cy", deep_link=True)
    _wait_for_path(frame, "/lti/deep-link")
    frame.get_by_label("Skill: Multiplying fractions").check()
    frame.get_by_role("button", name="Add to the LMS").click()
    frame.locator("#added").wait_for()
    assert "Pathways: Multiplying fractions" in frame.locator("#added").inner_text()
    assert world.platform.deep_link_errors == []
    item = world.platform.deep_link_items[-1]
    assert item["custom"] == {"pathways_goal": "skill:mul"}
    assert violations == []


@pytest.mark.parametrize("spoil", ["signature", "expired", "audience", "replay"])
def test_bad_tokens_get_a_clear_error_page_and_create_nothing(
    world: LtiWorld, lms: tuple[Page, list[str]], spoil: str
) -> None:
    page, _ = lms
    sub = f"s-{spoil}"
    world.platform.add_member(CONTEXT, TITLE, sub, f"New {spoil}", "Learner")
    if spoil == "replay":
        frame = _open(world, page, sub, "fractions-add")
        _wait_for_path(frame, "/student")
        form = world.platform.last_launch_form
        assert form is not None
        before = world.counts()
        # The same id_token and state posted again, from the same browser.
        page.set_content(
            f'<form method="post" action="{world.tool}/lti/launch">'
            f'<input name="id_token" value="{form["id_token"]}">'
            f'<input name="state" value="{form["state"]}"><button>Again</button></form>'
        )
        page.get_by_role("button", name="Again").click()
        page.locator("main").wait_for()
        text = page.locator("main").inner_text()
        assert "already used" in text or "did not start in this browser" in text
        assert world.counts() == before
        return
    before = world.counts()
    world.platform.spoil = spoil
    frame = _open(world, page, sub, "fractions-add")
    text = frame.locator("main").inner_text()
    says = {"signature": "signature does not verify", "expired": "expired", "audience": "audience"}
    assert says[spoil] in text
    assert "That request could not be handled" in frame.locator("h1").inner_text()
    assert world.counts() == before


def test_admin_registrations_page_is_accessible(world: LtiWorld, page: Page) -> None:
    """The page an admin copies the URLs from, checked with axe like every page."""
    from api.services import users
    from models.users import Role, UserCreate

    with world.session() as s:
        users.create_user(
            s,
            world.runtime,
            UserCreate(username="admin-lti", role=Role.admin, password="admin-pass-1"),
        )
    pilot = Pilot(page, world.tool, "lti-registrations")
    pilot.go("/login", "login")
    page.get_by_label("Username").fill("admin-lti")
    page.get_by_label("Password").fill("admin-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    pilot.arrive("home")
    pilot.go("/admin/lti", "registrations")
    assert world.tool + "/lti/jwks.json" in page.locator("main").inner_text()
    assert "Test LMS" in page.locator("main").inner_text()
    pilot.finish()
