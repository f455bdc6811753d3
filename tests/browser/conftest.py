"""The browser tests' world: the real app under uvicorn on 127.0.0.1, seeded through the
services, driven by Debian's Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from api.main import create_app
from api.pages.setup import install_pages
from api.runtime import Runtime
from api.settings import load_settings
from models.users import Role
from tests.browser.pilot import Pilot
from tests.browser.seed import PASSWORD, Seeded, enrol, new_user, seed_classroom
from tests.utils.live import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}  # a school Chromebook


@dataclass
class LiveServer:
    base_url: str
    runtime: Runtime
    seeded: Seeded
    _counter: int = 0

    def new_student(self, full_name: str, attrs: dict[str, str] | None = None) -> tuple[str, int]:
        """A fresh student in the seeded class (tests that change history use their own)."""
        self._counter += 1
        username = f"{full_name.split()[0].lower()}{self._counter}"
        user = new_user(self.runtime, Role.student, username, full_name)
        assert user.id is not None
        enrol(self.runtime, self.seeded.class_id, user, attrs or {"ell": "no", "group": "blue"})
        return username, user.id


@contextmanager
def running_server() -> Iterator[LiveServer]:
    """The real app on a free loopback port with a fresh seeded database, then cleaned up."""
    data_dir = Path(tempfile.mkdtemp(prefix="pathways-browser-"))
    settings = load_settings(
        data_dir=data_dir,
        database_url=None,
        secret_key="browser-test-secret-" + "k" * 32,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        login_max_failures_per_ip=10_000,
        login_max_failures_per_user=100,
        sqlite_synchronous="NORMAL",
    )
    app = create_app(settings)
    install_pages(app)  # a no-op when create_app already installed them
    runtime: Runtime = app.state.runtime
    seeded = seed_classroom(runtime)
    try:
        with serve_in_thread(app) as served:
            yield LiveServer(served.base_url, runtime, seeded)
    finally:
        runtime.jobs.shutdown()
        runtime.engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """Shared by the journeys that do not change the whole school's state."""
    with running_server() as server:
        yield server


@pytest.fixture
def own_server() -> Iterator[LiveServer]:
    """A server of its own, for a journey that changes everyone's state (activating a refit)."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/install-system-deps.sh installs it)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def pilot(page: Page, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Pilot]:
    p = Pilot(page, live_server.base_url, request.node.name)
    yield p
    p.finish()


def log_in(pilot: Pilot, username: str, password: str = PASSWORD) -> None:
    """Log in through the form and check the page it lands on."""
    pilot.go("/login", "login")
    pilot.page.get_by_label("Username").fill(username)
    pilot.page.get_by_label("Password").fill(password)
    pilot.page.get_by_role("button", name="Log in").click()
    pilot.page.wait_for_load_state("load")
    pilot.arrive(f"home-{username}")
