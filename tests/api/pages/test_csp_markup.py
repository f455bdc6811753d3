"""Every page's markup fits the strict Content-Security-Policy: no inline scripts, no
inline event handlers, no style attributes or <style> elements (a browser would
refuse them). The browser journeys enforce the same policy for real."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.pages.conftest import World, sign_in
from tests.utils import factories as f

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _problems(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("event handler", EVENT_HANDLER),
        ("style attribute", STYLE_ATTR),
        ("style element", STYLE_ELEMENT),
        ("javascript: URL", JS_URL),
    ):
        found += [f"{name}: {m.group(0)[:120]}" for m in pattern.finditer(html)]
    return found


def _check(browser: TestClient, paths: list[str]) -> None:
    bad = {}
    for path in paths:
        reply = browser.get(path)
        assert reply.status_code in (200, 404), (path, reply.status_code)
        problems = _problems(reply.text)
        if problems:
            bad[path] = problems[:5]
    assert not bad, bad


def test_student_pages(browser: TestClient, world: World) -> None:
    headers = f.login(browser, "ana")
    for item, text in (("eq1", "2/4"), ("eq2", "0.4"), ("ad1", "1/2")):
        f.answer(browser, headers, item, text)
    _check(browser, ["/login"])
    sign_in(browser, "ana")
    _check(browser, ["/student", "/student/map", "/student/practice/eq3", "/no/such/page"])
    _check(browser, ["/student/practice/ad1?hints=1", "/student/practice/mu1"])


def test_teacher_pages(browser: TestClient, world: World) -> None:
    headers = f.login(browser, "ana")
    f.answer(browser, headers, "eq1", "2/4")
    f.answer(browser, headers, "eq2", "0.4")
    sign_in(browser, "teach")
    cid, sid = world.classroom.id, world.students[0].id
    _check(
        browser,
        [
            "/teacher",
            f"/teacher/classes/{cid}",
            f"/teacher/classes/{cid}?group=ell:yes&sort=gap",
            f"/teacher/classes/{cid}/students/{sid}",
        ],
    )


def test_designer_pages(browser: TestClient, world: World) -> None:
    sign_in(browser, "design")
    _check(
        browser,
        [
            "/designer",
            "/designer/items/new",
            "/designer/items/eq1",
            "/designer/import",
            "/designer/graph",
            "/designer/fits",
        ],
    )
