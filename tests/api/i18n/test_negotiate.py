"""Choosing a page's language: the account's setting, else Accept-Language, else English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.i18n.negotiate import choose, from_accept_language
from models.users import Language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", Language.es),
        ("pt-BR", Language.pt),
        ("fr-FR, pt-PT;q=0.5, en;q=0.4", Language.pt),
        ("en;q=0.2, es;q=0.7", Language.es),
        ("de, fr", None),
        ("es;q=0, en", Language.en),  # q=0: not Spanish
        ("es;q=abc, pt", Language.pt),  # an unreadable weight refuses, it does not fail
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language(header: str | None, expected: Language | None) -> None:
    assert from_accept_language(header) == expected


def test_equal_weights_keep_the_browsers_order() -> None:
    assert from_accept_language("pt, es") == Language.pt
    assert from_accept_language("es, pt") == Language.es


def test_the_accounts_setting_wins_over_the_browser() -> None:
    assert choose("pt", "es-ES,es") == Language.pt
    assert choose(None, "es-ES,es") == Language.es
    assert choose(None, "de") == Language.en
    assert choose("xx", "es") == Language.es  # an unknown stored value is ignored


@given(st.text(max_size=300))
def test_any_header_gives_a_supported_language_or_none(header: str) -> None:
    found = from_accept_language(header)
    assert found is None or found in Language
    assert choose(None, header) in Language
