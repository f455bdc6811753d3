"""Numbers and dates as each language writes them (known answers from CLDR via Babel)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from api.i18n import formatting
from models.users import Language


def test_percentages() -> None:
    assert formatting.percent(0.456, Language.en) == "46%"
    assert formatting.percent(0.456, Language.es) == "46\xa0%"
    assert formatting.percent(0.456, Language.pt) == "46%"
    assert formatting.percent(None, Language.es) == "–"


def test_numbers_and_dates() -> None:
    assert formatting.number(12345.5, Language.en) == "12,345.5"
    assert formatting.number(12345.5, Language.es) == "12.345,5"
    assert formatting.number(12345.5, Language.pt) == "12.345,5"
    day = date(2026, 12, 2)
    assert formatting.day(day, Language.en) == "December 2, 2026"
    assert formatting.day(day, Language.es) == "2 de diciembre de 2026"
    assert formatting.day(day, Language.pt) == "2 de dezembro de 2026"


@given(st.floats(min_value=0.0, max_value=0.99499, allow_nan=False))
def test_a_share_below_mastery_never_reads_100_percent(value: float) -> None:
    for lang in Language:
        assert not formatting.percent(value, lang).startswith("100")
