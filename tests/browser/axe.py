"""Run axe-core (bundled by the axe-playwright-python package, injected from disk) on a page."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@cache
def axe_source() -> str:
    """axe.min.js from the installed package (a dev dependency; never fetched at run time)."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5])
        return f"[{self.impact}] {self.rule}: {self.help} at {where}"


AXE_RUN = """async () => await window.axe.run(document, {
    resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
})"""


def _axe_results(page: Page) -> dict[str, Any]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as an inline <script> the
        # page's Content-Security-Policy would (rightly) refuse.
        page.evaluate(axe_source())
    result: dict[str, Any] = page.evaluate(AXE_RUN)
    return result


def run_axe(page: Page) -> list[Violation]:
    """All axe violations on the current page (WCAG 2.x A/AA and best-practice rules)."""
    try:
        raw = _axe_results(page)
    except PlaywrightError as exc:
        if "context was destroyed" not in str(exc):
            raise
        # The page navigated by itself while axe ran (the refit page reloads when the
        # job ends): check the page it arrived at.
        page.wait_for_load_state("load")
        raw = _axe_results(page)
    out = []
    for v in raw["violations"]:
        targets = tuple(str(t) for n in v["nodes"] for t in n["target"])
        out.append(Violation(v["id"], v.get("impact") or "minor", v["help"], targets))
    return out


def blocking(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in BLOCKING_IMPACTS]
