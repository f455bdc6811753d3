"""The family journey in a real browser: a teacher makes a family account for one of
their students; the family member logs in from a Spanish browser and sees, in Spanish,
only their child (standards, goal with its projected date, recent practice); another
child's page is a 404; the account's language setting then wins over the browser's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from api.services import goals
from models.goals import GoalCreate
from models.users import User
from tests.browser.conftest import VIEWPORT, LiveServer
from tests.browser.pilot import Pilot
from tests.browser.seed import PASSWORD

pytestmark = pytest.mark.browser

CHILD = "carlos"
OTHERS = ("Amara Okafor", "Bao Nguyen", "Dina Haddad", "Eli Cohen", "Fatima Zahra", "Gus Olsen")


@pytest.fixture
def es_page(chromium: Browser) -> Iterator[Page]:
    """A browser whose language is Spanish (it sends Accept-Language: es-ES)."""
    context = chromium.new_context(viewport=VIEWPORT, locale="es-ES")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def es_pilot(
    es_page: Page, own_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Pilot]:
    p = Pilot(es_page, own_server.base_url, request.node.name)
    yield p
    p.finish()


def _goal_for_child(server: LiveServer) -> None:
    """A unit goal with a date for the child alone, as the teacher would set it."""
    runtime, seeded = server.runtime, server.seeded
    today = datetime.now(UTC).date()
    with runtime.session() as s:
        staff = s.exec(select(User).where(User.username == seeded.teacher)).one()
        goals.create_goal(
            s, runtime.cache.recent(s), staff, seeded.class_id,
            GoalCreate(title="Fraction foundations by the holidays", unit_id="fraction-foundations",
                       target_date=today + timedelta(days=28),
                       student_ids=[seeded.students[CHILD]]),
            today,
        )  # fmt: skip


def _log_in_es(pilot: Pilot, username: str, password: str, name: str) -> None:
    """The sign-in form as a Spanish browser gets it (before login, the browser decides)."""
    pilot.go("/login", f"login in Spanish ({name})")
    page = pilot.page
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Entrar en Pathways")).to_be_visible()
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_load_state("load")
    pilot.arrive(f"home of {name}")


def _log_out(pilot: Pilot, label: str) -> None:
    pilot.page.get_by_role("button", name=label).click()
    pilot.page.wait_for_load_state("load")
    pilot.arrive("logged out")


def test_a_family_member_logs_in_in_spanish_and_sees_only_their_child(
    es_pilot: Pilot, own_server: LiveServer
) -> None:
    page, pilot = es_pilot.page, es_pilot
    _goal_for_child(own_server)

    # The teacher's pages stay in English, whatever the browser speaks.
    _log_in_es(pilot, own_server.seeded.teacher, PASSWORD, "teacher")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Families").click()
    pilot.arrive("families")
    expect(page.get_by_role("heading", name="Families", level=1)).to_be_visible()
    page.get_by_label("Username", exact=True).fill("rosa.diaz")
    page.get_by_label("Full name").fill("Rosa Diaz")
    page.get_by_label("First password (at least 8 characters)").fill("familia-pass-1")
    page.get_by_label("Student they follow").select_option(label="Carlos Diaz")
    page.get_by_role("button", name="Create and link").click()
    pilot.arrive("family account created")
    expect(page.get_by_role("status")).to_contain_text("Account created and linked.")
    row = page.locator("table.data tbody tr").filter(has_text="Rosa Diaz")
    expect(row).to_contain_text("Carlos Diaz")
    _log_out(pilot, "Log out")

    # The family member, from the same Spanish browser.
    _log_in_es(pilot, "rosa.diaz", "familia-pass-1", "family")
    assert page.url.endswith("/family")
    expect(page.get_by_role("heading", name="Mis hijos", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Carlos Diaz")).to_be_visible()
    body = page.locator("main").inner_text()
    for other in OTHERS:
        assert other not in body, f"another student's name on the family page: {other}"
    assert "Práctica reciente" in body and "Dominadas" in body and "Trabajando en" in body
    assert "Fraction foundations by the holidays" in body
    assert re.search(r"antes del \d{1,2} de \w+ de \d{4}", body), body
    assert re.search(r"NF\.[A-Z]\.\d", body), "standard codes are shown"

    page.get_by_role("link", name="Carlos Diaz").click()
    pilot.arrive("one child")
    expect(page.get_by_role("heading", name="Carlos Diaz", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Resumen")).to_be_visible()

    amara = own_server.seeded.students["amara"]
    pilot.go(f"/family/children/{amara}", "another child is not found")
    expect(page.get_by_role("heading", name="No encontrado")).to_be_visible()
    assert "Amara" not in page.locator("main").inner_text()
    pilot.go("/student", "student pages are not for families")
    expect(page.get_by_role("heading", name="No permitido")).to_be_visible()

    # The account's own language wins over the browser's.
    pilot.go("/family", "back home")
    page.get_by_role("link", name="Idioma").click()
    pilot.arrive("language")
    page.get_by_label("Português").check()
    page.get_by_role("button", name="Guardar").click()
    pilot.arrive("language saved")
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    expect(page.get_by_role("status")).to_contain_text("Salvo.")
    pilot.go("/family", "in Portuguese")
    expect(page.get_by_role("heading", name="Meus filhos", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Carlos Diaz")).to_be_visible()
    _log_out(pilot, "Sair")
