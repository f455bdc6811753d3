"""A busy server in a real browser: the answer is kept and sent again, and stored once.

The server's busy page (api.overload: 503, Retry-After) answers the first submission
of an answer; the front end (api/static/js/app.js) remembers what the form sent and,
after Retry-After, sends the same fields again - the same idempotency key - and the
student sees the feedback as usual. The second submission reaches the server, which
stores the answer once.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Route, expect
from sqlalchemy import func, select
from starlette.requests import Request

from api.overload import busy_page
from models.responses import ResponseLog
from tests.browser.conftest import LiveServer, log_in
from tests.browser.helpers import fill_answer, item_type
from tests.browser.pilot import Pilot
from tests.browser.seed import items_of, right_answer

pytestmark = pytest.mark.browser


def _busy_html(path: str) -> bytes:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [],
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
    }
    return bytes(busy_page(Request(scope), 1).body)


def test_an_answer_refused_as_busy_is_sent_again_and_stored_once(
    pilot: Pilot, live_server: LiveServer
) -> None:
    username, student_id = live_server.new_student("Bea Busy")
    log_in(pilot, username)
    page = pilot.page
    item = items_of(live_server.runtime, "equivalent-fractions")[0]
    pilot.go(f"/student/practice/{item}", "item")
    posted: list[str | None] = []

    def busy_once(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posted.append(route.request.post_data)
        if len(posted) == 1:
            path = route.request.url.split("://", 1)[1].split("/", 1)[1]
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "text/html; charset=utf-8"},
                body=_busy_html("/" + path),
            )
        else:
            route.continue_()

    page.route("**/student/practice/**", busy_once)
    fill_answer(page, item_type(live_server, item), right_answer(live_server.runtime, item))
    page.get_by_role("button", name="Check answer").click()
    # the busy page, then (its script sends the answer again after 1 s) the feedback
    expect(page.locator("#feedback .verdict")).to_contain_text("Correct", timeout=30_000)
    pilot.arrive("answered after the busy page")
    assert len(posted) == 2 and posted[0] == posted[1], posted  # the same key, sent again
    with live_server.runtime.session() as s:
        mine = select(func.count()).where(ResponseLog.student_id == student_id)
        stored = s.execute(mine.select_from(ResponseLog)).scalar_one()
    assert stored == 1
