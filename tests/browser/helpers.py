"""Steps the journeys share: answering the item on screen, reading where we are."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.pilot import Pilot
from tests.browser.seed import right_answer, wrong_answer

PRACTICE = re.compile(r"/student/practice/([^/?#]+)")


def item_on_screen(page: Page) -> str:
    """The id of the item whose practice page is showing (from the form's action)."""
    action = page.locator("#answer-form").get_attribute("action") or ""
    found = PRACTICE.search(action) or PRACTICE.search(urlsplit(page.url).path)
    assert found, f"not on a practice page: {page.url}"
    return unquote(found.group(1))


def fill_answer(page: Page, item_type: str, text: str) -> None:
    """Put `text` into the answer box that fits the item type."""
    if item_type == "multiple_choice":
        radios = page.locator("#answer-form input[type=radio]")
        wanted = " ".join(text.split()).casefold()
        for i in range(radios.count()):
            value = radios.nth(i).get_attribute("value") or ""
            if " ".join(value.split()).casefold() == wanted:
                radios.nth(i).check()
                return
        raise AssertionError(f"no choice {text!r} on the page")
    if item_type == "fraction":
        m = re.fullmatch(r"\s*(?:(\d+)\s+)?(\d+)(?:/(\d+))?\s*", text)
        assert m, f"fraction answer {text!r} not understood by the test"
        whole, num, den = m.group(1), m.group(2), m.group(3)
        if den is None:  # a whole number
            page.locator("#whole").fill(num)
            return
        if whole:
            page.locator("#whole").fill(whole)
        page.locator("#numerator").fill(num)
        page.locator("#denominator").fill(den)
        return
    page.locator("#answer").fill(text)


def item_type(live: LiveServer, item_id: str) -> str:
    with live.runtime.session() as s:
        return live.runtime.cache.get(s).items[item_id].content.type


def answer_on_screen(pilot: Pilot, live: LiveServer, correct: bool, name: str) -> str:
    """Answer the item showing (right or wrong), submit with the button, check the result."""
    item = item_on_screen(pilot.page)
    text = right_answer(live.runtime, item) if correct else wrong_answer(live.runtime, item)
    fill_answer(pilot.page, item_type(live, item), text)
    pilot.page.get_by_role("button", name="Check answer").click()
    pilot.page.wait_for_load_state("load")
    pilot.arrive(name)
    verdict = pilot.page.locator("#feedback .verdict").inner_text()
    assert ("Correct" in verdict) == correct, verdict
    return item
