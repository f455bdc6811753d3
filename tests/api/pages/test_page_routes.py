"""Page routes without a browser: sessions, CSRF, roles, the answer form, downloads."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import func, select

from api.services import items
from models.responses import ResponseLog
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils.factories import PASSWORD


def test_login_sets_an_httponly_samesite_cookie_and_goes_to_the_role_home(
    browser: TestClient, world: World
) -> None:
    page = browser.get("/login")
    reply = browser.post(
        "/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/student"
    cookie = next(
        c for c in reply.headers.get_list("set-cookie") if c.startswith("pathways_session=")
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert browser.get("/student").status_code == 200


def test_bad_password_and_missing_csrf_are_refused(browser: TestClient, world: World) -> None:
    page = browser.get("/login")
    wrong = browser.post(
        "/login", data={"username": "ana", "password": "nope", "csrf_token": csrf_of(page.text)}
    )
    assert wrong.status_code == 400 and "do not match" in wrong.text
    forged = browser.post("/login", data={"username": "ana", "password": PASSWORD})
    assert forged.status_code == 403 and "expired" in forged.text
    assert "pathways_session" not in browser.cookies


def test_pages_need_a_session_and_remember_where_you_were_going(
    browser: TestClient, world: World
) -> None:
    reply = browser.get("/teacher/classes/1?sort=gap")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Fteacher%2Fclasses%2F1%3Fsort%3Dgap"
    page = browser.get("/login?next=%2Fteacher")
    back = browser.post(
        "/login",
        data={
            "username": "teach",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/teacher",
        },
    )
    assert back.headers["location"] == "/teacher"


def test_next_never_leaves_the_site(browser: TestClient, world: World) -> None:
    page = browser.get("/login")
    reply = browser.post(
        "/login",
        data={
            "username": "teach",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/phish",
        },
    )
    assert reply.headers["location"] == "/teacher"


def test_wrong_role_gets_an_html_403(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    reply = browser.get("/designer")
    assert reply.status_code == 403 and "text/html" in reply.headers["content-type"]
    assert "for the designer role" in reply.text


def test_forms_without_the_sessions_csrf_token_change_nothing(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "ana")
    page = browser.get("/student/practice/eq3")
    stale = browser.post(
        "/student/practice/eq3",
        data={"answer": "2/6", "idempotency_key": "k1", "csrf_token": "0" * 64},
    )
    assert stale.status_code == 403
    assert _logged(world) == 0
    ok = browser.post(
        "/student/practice/eq3",
        data={"answer": "2/6", "idempotency_key": "k1", "csrf_token": csrf_of(page.text)},
    )
    assert ok.status_code == 200 and "Correct!" in ok.text


def _logged(world: World) -> int:
    """Answers in the log (the read is ended at once: the app shares the connection)."""
    n = world.session.exec(select(func.count()).select_from(ResponseLog)).one()
    world.session.rollback()
    return int(n)


def _answer(client: TestClient, item: str, data: dict[str, str]) -> str:
    page = client.get(f"/student/practice/{item}")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text)
    assert key
    reply = client.post(
        f"/student/practice/{item}",
        data={**data, "idempotency_key": key.group(1), "csrf_token": csrf_of(page.text)},
    )
    return reply.text


def test_a_resubmitted_answer_is_logged_once(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    page = browser.get("/student/practice/eq2")
    form = {"answer": "0.5", "idempotency_key": "same-key", "csrf_token": csrf_of(page.text)}
    first = browser.post("/student/practice/eq2", data=form)
    again = browser.post("/student/practice/eq2", data=form)
    assert first.status_code == again.status_code == 200
    assert "Correct!" in first.text and "Correct!" in again.text
    assert _logged(world) == 1


def test_fraction_boxes_are_read_as_one_answer_and_gaps_are_inline_errors(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "ana")
    missing = _answer(browser, "eq1", {"numerator": "2", "denominator": ""})
    assert "Fill in the bottom (denominator) number" in missing
    assert 'aria-invalid="true"' in missing
    right = _answer(browser, "eq1", {"numerator": "2", "denominator": "4"})
    assert "Correct!" in right
    assert _logged(world) == 1  # the incomplete answer was not logged


def test_unreadable_answer_is_not_a_try(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    text = _answer(browser, "eq2", {"answer": "half-ish"})
    assert "error-text" in text and "Try 1 of 2" in text
    assert _logged(world) == 0


def test_two_wrong_tries_show_the_worked_solution(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    first = _answer(browser, "eq3", {"answer": "2/5"})
    assert "1 more try" in first and "Worked solution" not in first
    second = _answer(browser, "eq3", {"answer": "1/6"})
    assert "Worked solution" in second and "Multiply top and bottom by 2." in second
    assert "The answer is <strong>2/6</strong>" in second
    assert 'id="answer-form"' not in second


def test_hints_are_revealed_one_at_a_time_without_javascript(
    browser: TestClient, world: World
) -> None:
    items.create_item(
        world.session,
        {
            "id": "hinted",
            "skills": ["equiv"],
            "type": "numeric",
            "prompt": "1/2 = ?/10",
            "answer": {"value": 5},
            "hints": ["Tenths: ten equal parts.", "Half of ten is five."],
        },
    )
    sign_in(browser, "ana")
    fresh = browser.get("/student/practice/hinted").text
    assert re.search(r'<li id="hint-1" tabindex="-1" hidden>', fresh)
    assert "Show a hint (1 of 2)" in fresh and "?hints=1" in fresh
    one = browser.get("/student/practice/hinted?hints=1").text
    assert re.search(r'<li id="hint-1" tabindex="-1">Tenths', one)
    assert re.search(r'<li id="hint-2" tabindex="-1" hidden>', one)
    assert "Show a hint (2 of 2)" in one


def test_retired_or_unknown_items_are_an_html_404(browser: TestClient, world: World) -> None:
    sign_in(browser, "ana")
    reply = browser.get("/student/practice/no-such-item")
    assert reply.status_code == 404 and "text/html" in reply.headers["content-type"]


def test_teacher_csv_download_and_other_classes_are_hidden(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "teach")
    cid = world.classroom.id
    csv_reply = browser.get(f"/teacher/classes/{cid}/heatmap.csv")
    assert csv_reply.status_code == 200
    assert csv_reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_reply.headers["content-disposition"]
    assert csv_reply.text.splitlines()[0].startswith("student_id,username")
    page = browser.get(f"/teacher/classes/{cid}?group=ell:yes&sort=gap")
    assert page.status_code == 200 and "Ana Alvarez" in page.text and "Ben Brook" not in page.text
    assert browser.get("/teacher/classes/9999").status_code == 404
    assert browser.get(f"/teacher/classes/{cid}?group=nonsense").status_code == 422


def test_designer_fit_status_is_json_for_the_poller(browser: TestClient, world: World) -> None:
    sign_in(browser, "design")
    page = browser.get("/designer/fits")
    refused = browser.post("/designer/fits", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409 and "nothing to fit" in refused.text


def test_item_form_errors_are_shown_at_their_fields_and_nothing_is_saved(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, "design")
    page = browser.get("/designer/items/new")
    form = {
        "csrf_token": csrf_of(page.text),
        "id": "new-num",
        "skills": "equiv",
        "type": "numeric",
        "prompt": "",
        "answer_value": "0.5",
        "answer_tolerance": "-1",
    }
    reply = browser.post("/designer/items/new", data=form)
    assert reply.status_code == 422
    assert 'href="#prompt">Question:' in reply.text
    assert re.search(r'id="answer_tolerance-error">[^<]*tolerance must be', reply.text)
    assert 'name="id" value="new-num"' in reply.text
    assert browser.get("/designer/items/new-num").status_code == 404
    fixed = browser.post(
        "/designer/items/new", data={**form, "prompt": "1/2 =", "answer_tolerance": ""}
    )
    assert fixed.status_code == 303 and fixed.headers["location"] == "/designer?saved=new-num"
