"""A page driver for the journeys: every page visited is screenshotted and axe-checked.

`Pilot.arrive(name)` is called by tests after each navigation; at the end of a test
`Pilot.finish()` fails if a page was visited without being checked, so "every
page gets a screenshot and an accessibility check" cannot silently erode. Any
Content-Security-Policy violation (an inline script, style or handler the browser
refused) fails the journey at the next check too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page

from tests.browser.axe import Violation, blocking, run_axe

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Runs before any script of every document: reports each CSP violation to the console.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " +
                (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "page"


@dataclass
class Pilot:
    page: Page
    base_url: str
    test_name: str
    shots: list[Path] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    csp_violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = ARTIFACTS / _slug(self.test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.page.on("framenavigated", self._on_nav)
        self.page.add_init_script(CSP_LISTENER)
        self.page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and (
            "CSP violation" in text or "Content Security Policy" in text
        ):
            self.csp_violations.append(f"{self._key(self.page.url)}: {text}")

    def _on_nav(self, frame: object) -> None:
        if frame is self.page.main_frame:
            self.visited.append(self._key(self.page.url))

    @staticmethod
    def _key(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def url(self, path: str) -> str:
        return self.base_url + path

    def go(self, path: str, name: str | None = None) -> Page:
        """Navigate to a path and check the page that arrives."""
        self.page.goto(self.url(path))
        self.arrive(name or path)
        return self.page

    def press(self, key: str, name: str) -> None:
        """Press a key that navigates (Enter on a link or in a form) and check the new page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.arrive(name)

    def arrive(self, name: str) -> None:
        """Screenshot the current page and fail on serious/critical axe violations."""
        self.page.wait_for_load_state("load")
        key = self._key(self.page.url)
        shot = self.folder / f"{len(self.shots) + 1:02d}-{_slug(name)}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        found = run_axe(self.page)
        self.violations[key] = found
        self.checked.add(key)
        bad = blocking(found)
        assert not bad, f"accessibility violations on {key}:\n" + "\n".join(map(str, bad))
        self.check_csp()

    def check_csp(self) -> None:
        assert not self.csp_violations, "CSP violations:\n" + "\n".join(self.csp_violations)

    def finish(self) -> None:
        self.check_csp()
        missed = [k for k in dict.fromkeys(self.visited) if k not in self.checked]
        assert not missed, f"pages visited without screenshot/axe check: {missed}"
