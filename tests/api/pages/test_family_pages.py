"""Family, account-language and teacher families pages; student pages in three languages."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from api.i18n.catalogs import translations
from api.routes.pages_student import ALREADY_SENT
from content import answers
from content.answers import STUDENT_MESSAGES
from engine.recommend import reasons
from models.users import Language, Role, User
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


@pytest.fixture
def guardian(world: World) -> User:
    g = f.make_user(world.session, world.runtime, Role.guardian, "mama", full_name="Mamá Alvarez")
    f.link_guardian(world.session, g, world.students[0])
    return g


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', html)
    assert found, "no html lang"
    return found.group(1)


def test_a_guardian_sees_only_their_child_in_the_browsers_language(
    browser: TestClient, world: World, guardian: User
) -> None:
    ana, ben = world.students
    sign_in(browser, "ana")
    page = browser.get("/student/practice/eq1")
    browser.post("/student/practice/eq1", data={
        "numerator": "2", "denominator": "4", "idempotency_key": "fam-1",
        "csrf_token": csrf_of(page.text),
    })  # fmt: skip
    browser.cookies.clear()
    sign_in(browser, "mama")
    home = browser.get("/", headers=ES)
    assert home.status_code == 303 and home.headers["location"] == "/family"
    page = browser.get("/family", headers=ES)
    assert page.status_code == 200
    assert _lang(page.text) == "es"
    assert "Mis hijos" in page.text and "Ana Alvarez" in page.text
    assert "Práctica reciente" in page.text and "En la última semana" in page.text
    assert re.search(r"Última práctica: \d{1,2} de \w+ de \d{4}\.", page.text)
    assert "Ben Brook" not in page.text
    assert ben.full_name not in page.text
    other = browser.get(f"/family/children/{ben.id}", headers=ES)
    assert other.status_code == 404 and "No encontrado" in other.text
    assert "Ben" not in other.text
    one = browser.get(f"/family/children/{ana.id}", headers=ES)
    assert one.status_code == 200 and "Ana Alvarez" in one.text
    assert browser.get("/student", headers=ES).status_code == 403
    assert browser.get("/teacher", headers=ES).status_code == 403


def test_the_accounts_language_wins_over_the_browsers(
    browser: TestClient, world: World, guardian: User
) -> None:
    sign_in(browser, "mama")
    form = browser.get("/account/language", headers=ES)
    assert form.status_code == 200 and "Idioma" in form.text
    saved = browser.post(
        "/account/language", data={"locale": "pt", "csrf_token": csrf_of(form.text)}, headers=ES
    )
    assert saved.status_code == 303
    page = browser.get("/family", headers=ES)
    assert _lang(page.text) == "pt" and "Meus filhos" in page.text
    bad = browser.post(
        "/account/language", data={"locale": "fr", "csrf_token": csrf_of(form.text)}, headers=ES
    )
    assert bad.status_code == 422 and "locale" in bad.text
    back = browser.post(
        "/account/language", data={"locale": "browser", "csrf_token": csrf_of(form.text)}
    )
    assert back.status_code == 303
    assert _lang(browser.get("/family", headers=ES).text) == "es"
    assert _lang(browser.get("/family").text) == "en"


@pytest.mark.parametrize(
    ("header", "lang", "words"),
    [
        ({"Accept-Language": "es"}, "es", ("Elige qué practicar", "Mapa de habilidades")),
        ({"Accept-Language": "pt-BR"}, "pt", ("Escolha o que praticar", "Mapa de habilidades")),
        ({"Accept-Language": "de"}, "en", ("Choose what to practise", "Skill map")),
    ],
)
def test_student_pages_follow_the_language(
    browser: TestClient, world: World, header: dict[str, str], lang: str, words: tuple[str, str]
) -> None:
    login = browser.get("/login", headers=header)
    assert _lang(login.text) == lang
    sign_in(browser, "ana")
    home = browser.get("/student", headers=header)
    assert _lang(home.text) == lang and all(w in home.text for w in words)
    item = browser.get("/student/practice/eq2", headers=header)
    reply = browser.post("/student/practice/eq2", headers=header, data={
        "answer": str(RIGHT["eq2"]), "idempotency_key": f"lang-{lang}",
        "csrf_token": csrf_of(item.text),
    })  # fmt: skip
    assert reply.status_code == 200 and _lang(reply.text) == lang
    correct = {"es": "¡Correcto!", "pt": "Correto!", "en": "Correct!"}[lang]
    assert correct in reply.text
    percent = re.search(r"(Up from|Sube del|Subiu de) (\d+)(\xa0)?%", reply.text)
    assert percent and (percent.group(3) is not None) == (lang == "es")  # 46 % in Spanish
    skill_map = browser.get("/student/map", headers=header)
    assert skill_map.status_code == 200 and _lang(skill_map.text) == lang


def _reason_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", html.escape(template, quote=True))
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


@pytest.mark.parametrize("lang", [Language.es, Language.pt], ids=str)
def test_reasons_feedback_and_form_errors_are_in_the_students_language(
    browser: TestClient, world: World, lang: Language
) -> None:
    header = {"Accept-Language": str(lang)}
    sign_in(browser, "ana")
    home = browser.get("/student", headers=header)
    shown = re.findall(r'<p class="why">(.*?)</p>', home.text)
    gettext = translations(lang).gettext
    translated = [_reason_pattern(gettext(t)) for t in reasons.TEMPLATES]
    english = [_reason_pattern(t) for t in reasons.TEMPLATES]
    assert shown, "no choices on the home page"
    for why in shown:
        assert any(p.match(why) for p in translated), why
        assert not any(p.match(why) for p in english), why
    item = browser.get("/student/practice/eq1", headers=header)
    gap = browser.post("/student/practice/eq1", headers=header, data={
        "numerator": "2", "denominator": "", "idempotency_key": "half",
        "csrf_token": csrf_of(item.text),
    })  # fmt: skip
    wanted = gettext("Fill in the bottom (denominator) number of the fraction too.")
    assert gap.status_code == 422 and html.escape(wanted, quote=True) in gap.text
    item = browser.get("/student/practice/eq2", headers=header)
    unreadable = browser.post("/student/practice/eq2", headers=header, data={
        "answer": "half-ish", "idempotency_key": "odd", "csrf_token": csrf_of(item.text),
    })  # fmt: skip
    assert unreadable.status_code == 422 and "error-text" in unreadable.text
    errors = re.findall(
        r'<p class="error-text" id="answer-error" role="alert">(.*?)</p>', unreadable.text
    )
    assert errors and errors[0] in {html.escape(gettext(m), quote=True) for m in STUDENT_MESSAGES}
    assert errors[0] not in {html.escape(m, quote=True) for m in STUDENT_MESSAGES}
    item = browser.get("/student/practice/eq2", headers=header)
    wrong = browser.post("/student/practice/eq2", headers=header, data={
        "answer": "999", "idempotency_key": "wrong", "csrf_token": csrf_of(item.text),
    })  # fmt: skip
    assert wrong.status_code == 200
    assert html.escape(gettext(answers.WRONG), quote=True) in wrong.text
    assert html.escape(answers.WRONG, quote=True) not in wrong.text
    again = browser.post(
        "/student/practice/eq2",
        headers=header,
        data={
            "answer": "998",
            "idempotency_key": "wrong",
            "csrf_token": csrf_of(item.text),
        },
    )  # fmt: skip  (the same page's key, another answer: a double submission)
    assert again.status_code == 422
    assert html.escape(gettext(ALREADY_SENT), quote=True) in again.text


def test_staff_pages_stay_in_english(browser: TestClient, world: World) -> None:
    sign_in(browser, "teach")
    page = browser.get("/teacher", headers=ES)
    assert _lang(page.text) == "en" and "My classes" in page.text


def test_a_teacher_links_and_creates_family_accounts_for_their_students(
    browser: TestClient, world: World, guardian: User
) -> None:
    ana, ben = world.students
    outsider = f.make_user(world.session, world.runtime, Role.student, "zed", full_name="Zed Zee")
    sign_in(browser, "teach")
    page = browser.get("/teacher/families")
    assert page.status_code == 200 and "Mamá Alvarez" in page.text
    assert "Zed Zee" not in page.text  # not in this teacher's classes
    token = csrf_of(page.text)
    unknown = browser.post("/teacher/families/link", data={
        "guardian_username": "nobody-here", "student_id": str(ben.id), "csrf_token": token,
    })  # fmt: skip
    assert unknown.status_code == 422
    assert "There is no guardian account named &#39;nobody-here&#39;." in unknown.text
    assert 'aria-invalid="true"' in unknown.text
    linked = browser.post("/teacher/families/link", data={
        "guardian_username": "mama", "student_id": str(ben.id), "csrf_token": token,
    })  # fmt: skip
    assert linked.status_code == 303
    theirs = browser.post("/teacher/families/link", data={
        "guardian_username": "mama", "student_id": str(outsider.id), "csrf_token": token,
    })  # fmt: skip
    assert theirs.status_code == 404 and "Zed" not in theirs.text
    short = browser.post("/teacher/families/new", data={
        "username": "papa", "password": "short", "student_id": str(ana.id), "csrf_token": token,
    })  # fmt: skip
    assert short.status_code == 422 and "password" in short.text
    made = browser.post("/teacher/families/new", data={
        "username": "papa", "full_name": "Papá Alvarez", "password": "long-enough-1",
        "student_id": str(ana.id), "csrf_token": token,
    })  # fmt: skip
    assert made.status_code == 303
    listing = browser.get("/teacher/families?done=created")
    assert "Account created and linked." in listing.text
    assert listing.text.count("Mamá Alvarez") == 2 and "Papá Alvarez" in listing.text
    assert browser.post("/teacher/families/unlink", data={
        "guardian_id": str(guardian.id), "student_id": str(ben.id), "csrf_token": token,
    }).status_code == 303  # fmt: skip
    assert browser.get("/teacher/families").text.count("Mamá Alvarez") == 1
    browser.cookies.clear()
    sign_in(browser, "papa", "long-enough-1")
    kids = browser.get("/family")
    assert "Ana Alvarez" in kids.text and "Ben Brook" not in kids.text
