"""The catalogues hold every string the translated pages use, with matching placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog

from api.i18n.catalogs import TRANSLATED, read_catalog, translations
from api.i18n.extraction import (
    extract_messages,
    shown_from_other_layers,
    translated_templates,
    untranslated,
)
from models.users import Language

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
FIELD = re.compile(r"\{(\w+)\}")  # str.format fields of the engine's reason templates


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return extract_messages()


def test_the_translated_pages_are_found(messages: dict[str, list[str]]) -> None:
    names = {p.relative_to(p.parents[1]).as_posix() for p in translated_templates()}
    assert {"student/practice.html", "family/children.html", "account/language.html"} <= names
    assert "teacher/heatmap.html" not in {p.name for p in translated_templates()}
    assert "Check answer" in messages and "Recent practice" in messages
    assert "My children" in messages  # marked with N_ in Python


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_every_string_the_pages_use_is_translated(
    lang: Language, messages: dict[str, list[str]]
) -> None:
    missing = untranslated(messages, read_catalog(lang))
    assert missing == [], f"{lang}: translate these (python -m api.i18n.extraction adds them)"


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_catalogues_hold_no_strings_the_pages_no_longer_use(
    lang: Language, messages: dict[str, list[str]]
) -> None:
    used = set(messages)
    stale = [m.id for m in read_catalog(lang) if m.id and _singular(m.id) not in used]
    assert stale == []


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_translations_keep_the_placeholders_of_their_source(lang: Language) -> None:
    """A dropped or renamed %(name)s would fail when the page is rendered."""
    wrong = []
    for m in read_catalog(lang):
        if not m.id:
            continue
        sources = m.id if isinstance(m.id, tuple) else (m.id,)
        texts = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(sources)))
        for text in texts:
            if set(PLACEHOLDER.findall(text)) - wanted or (
                not isinstance(m.id, tuple) and set(PLACEHOLDER.findall(text)) != wanted
            ):
                wrong.append((m.id, text))
            if m.id not in LITERAL and "%" in PLACEHOLDER.sub("", text).replace("%%", ""):
                wrong.append((m.id, text))  # a bare % breaks Jinja's newstyle gettext
    assert wrong == []


# Shown through the `t` / `reason` filters, never %-formatted: a % is just a character.
LITERAL = {msgid for msgid, _where in shown_from_other_layers()}


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_reason_translations_keep_their_fields(lang: Language) -> None:
    """A reason's {skill}-style field dropped or renamed would show the English instead."""
    catalog = read_catalog(lang)
    wrong = []
    for msgid in LITERAL:
        found = catalog.get(msgid)
        text = found.string if found is not None else ""
        if not isinstance(text, str) or set(FIELD.findall(text)) != set(FIELD.findall(msgid)):
            wrong.append((msgid, text))
    assert wrong == []
    assert any(FIELD.search(m) for m in LITERAL)  # the reason templates are among them


def test_the_check_reports_a_missing_empty_or_fuzzy_string() -> None:
    catalog = Catalog(locale="es")
    catalog.add("Hints", "Pistas")
    catalog.add("Save", "")
    catalog.add("Goal", "Meta", flags=("fuzzy",))
    used = {"Hints": ["a.html:1"], "Save": ["a.html:2"], "Goal": ["a.html:3"], "Units": ["b:4"]}
    missing = untranslated(used, catalog)
    assert [m.split(" ")[0] for m in missing] == ["'Goal'", "'Save'", "'Units'"]
    assert "b:4" in missing[-1]


def test_catalogues_compile_when_first_used() -> None:
    assert translations(Language.es).gettext("Log out") == "Salir"
    assert translations(Language.pt).gettext("Log out") == "Sair"
    assert translations(Language.en).gettext("Log out") == "Log out"
    es = translations(Language.es)
    assert es.ngettext("You have %(num)s more try.", "You have %(num)s more tries.", 2) == (
        "Te quedan %(num)s intentos más."
    )


def _singular(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid
