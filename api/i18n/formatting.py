"""Numbers, percentages and dates written the way each language writes them (Babel)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_decimal, format_percent

from models.users import Language

NO_VALUE = "–"


def percent(value: float | None, lang: Language) -> str:
    """A share as a whole percentage ('46%', '46 %' in Spanish); '–' without evidence.

    Rounded half up but never up to 100 below 0.995, as the heatmap does: a page must
    not say 100% of a skill that is not mastered yet.
    """
    if value is None:
        return NO_VALUE
    whole = int(value * 100 + 0.5) if value < 0.995 else 100
    return format_percent(whole / 100, locale=lang.value)


def number(value: float | int, lang: Language) -> str:
    """A count or a measure with the language's digit grouping and decimal sign."""
    return format_decimal(value, locale=lang.value)


def day(value: date | datetime, lang: Language) -> str:
    """A calendar day in words ('December 2, 2026', '2 de diciembre de 2026')."""
    return _format_date(value, format="long", locale=lang.value)


def moment(value: datetime, lang: Language) -> str:
    """A day and time, short ('Dec 2, 2026, 3:04 PM')."""
    return _format_datetime(value, format="medium", locale=lang.value)
