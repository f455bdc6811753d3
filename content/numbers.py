"""Reading numbers the way students type them, and writing them back.

Values are exact `Fraction`s throughout so tolerance edges and equivalence
are decided by arithmetic, not by float rounding. Reading never raises for bad
input: it returns a `Misread` whose `reason` lets the caller word a message
for the kind of answer it expected.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Literal

MAX_INPUT_LENGTH = 200

Form = Literal["integer", "decimal", "fraction", "mixed"]


class MisreadReason(Enum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    ZERO_DENOMINATOR = "zero_denominator"
    DECIMAL_COMMA = "decimal_comma"
    IMPROPER_MIXED = "improper_mixed"
    DECIMAL_IN_FRACTION = "decimal_in_fraction"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Reading:
    """A number as written: its exact value and the form it was written in.

    For fractions and mixed numbers, `numerator`/`denominator` are the written
    fraction part (unreduced), which is what simplest-form checks look at.
    """

    value: Fraction
    form: Form
    text: str
    percent: bool = False
    numerator: int | None = None
    denominator: int | None = None

    @property
    def in_simplest_form(self) -> bool:
        if self.numerator is None or self.denominator is None:
            return True
        return math.gcd(self.numerator, self.denominator) == 1


@dataclass(frozen=True)
class Misread:
    reason: MisreadReason


_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_INTEGER = re.compile(r"^([+-]?)(\d+)$")
_DECIMAL = re.compile(r"^([+-]?)(\d+\.\d*|\.\d+)$")
_FRACTION = re.compile(r"^([+-]?)(\d+) ?/ ?(\d+)$")
_MIXED = re.compile(r"^([+-]?)(\d+) (\d+) ?/ ?(\d+)$")
_DECIMAL_FRACTION = re.compile(r"^[+-]?[\d.]+ ?/ ?[\d.]+$")
_UNICODE = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2013": "-",  # en dash, as typed by some keyboards for minus
        "\u2044": "/",  # fraction slash
        "\u2215": "/",  # division slash
        "\u00a0": " ",
    }
)


_VULGAR = {
    ch: f" {Fraction(unicodedata.numeric(ch)).limit_denominator(10)}" for ch in "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
}


def tidy(raw: str) -> str:
    """Trim, map look-alike characters to ASCII ("1½" -> "1 1/2"), collapse spaces."""
    text = raw.translate(_UNICODE)
    if any(ch in _VULGAR for ch in text):
        text = "".join(_VULGAR.get(ch, ch) for ch in text)
    return _SPACES.sub(" ", text).strip()


def read_number(raw: str, *, strip_currency: bool = True) -> Reading | Misread:
    """Read an integer, decimal, fraction or mixed number, optionally with `%`.

    Accepts "1,000" (thousands separators), ".5", "-3/4", "3 / 4", "1 1/2",
    a leading "$" and a trailing "%". The sign may only lead ("1/-2" is misread).
    """
    if len(raw) > MAX_INPUT_LENGTH:
        return Misread(MisreadReason.TOO_LONG)
    text = tidy(raw)
    if not text:
        return Misread(MisreadReason.EMPTY)
    percent = text.endswith("%")
    if percent:
        text = text[:-1].rstrip()
    if strip_currency:
        text = re.sub(r"^([+-]?) ?\$ ?", r"\1", text)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        return Misread(MisreadReason.DECIMAL_COMMA)
    return _read_plain(text, percent)


def _read_plain(text: str, percent: bool) -> Reading | Misread:
    if m := _INTEGER.match(text):
        value = Fraction(int(m[2])) * (-1 if m[1] == "-" else 1)
        return Reading(value, "integer", _signed(m[1], m[2]), percent)
    if m := _DECIMAL.match(text):
        digits = m[2]
        value = Fraction(digits) * (-1 if m[1] == "-" else 1)
        shown = ("0" + digits if digits.startswith(".") else digits).rstrip(".")
        return Reading(value, "decimal", _signed(m[1], shown), percent)
    if m := _FRACTION.match(text):
        num, den = int(m[2]), int(m[3])
        if den == 0:
            return Misread(MisreadReason.ZERO_DENOMINATOR)
        value = Fraction(num, den) * (-1 if m[1] == "-" else 1)
        return Reading(value, "fraction", _signed(m[1], f"{num}/{den}"), percent, num, den)
    if m := _MIXED.match(text):
        whole, num, den = int(m[2]), int(m[3]), int(m[4])
        if den == 0:
            return Misread(MisreadReason.ZERO_DENOMINATOR)
        if num >= den:
            return Misread(MisreadReason.IMPROPER_MIXED)
        value = (whole + Fraction(num, den)) * (-1 if m[1] == "-" else 1)
        shown = _signed(m[1], f"{whole} {num}/{den}")
        return Reading(value, "mixed", shown, percent, num, den)
    if _DECIMAL_FRACTION.match(text):
        return Misread(MisreadReason.DECIMAL_IN_FRACTION)
    return Misread(MisreadReason.MALFORMED)


def _signed(sign: str, body: str) -> str:
    return f"-{body}" if sign == "-" else body


def parse_exact(value: object) -> Fraction:
    """An author-written number (YAML int/float or text like "0.25", "3/4", "1 1/2").

    Floats go through their shortest repr so YAML `0.1` means exactly 1/10.
    Raises ValueError with a readable message (used by the pydantic models).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, str):
        reading = read_number(value, strip_currency=False)
        if isinstance(reading, Reading) and not reading.percent:
            return reading.value
        raise ValueError(f"{value!r} is not a number (write e.g. 12, 0.25, 3/4 or 1 1/2)")
    raise ValueError(f"expected a number, got {type(value).__name__}")


def terminates(value: Fraction) -> bool:
    """True when the value has a finite decimal expansion (denominator 2^a 5^b)."""
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def format_decimal(value: Fraction) -> str:
    """Exact decimal text ("0.75", "-2.5", "3"); ValueError if it does not terminate."""
    if not terminates(value):
        raise ValueError(f"{format_fraction(value)} has no exact decimal form")
    sign = "-" if value < 0 else ""
    value = abs(value)
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    scaled = int(value * 10**places)
    if places == 0:
        return f"{sign}{scaled}"
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def format_rounded(value: Fraction, places: int) -> str:
    """Decimal text rounded half away from zero to a fixed number of places."""
    sign = "-" if value < 0 else ""
    scaled = abs(value) * 10**places
    rounded = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    if places == 0:
        return f"{sign}{rounded}"
    whole, frac = divmod(rounded, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def format_fraction(value: Fraction) -> str:
    """Lowest-terms "p/q", or an integer when whole ("3", "-3/4")."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def format_mixed(value: Fraction) -> str:
    """Mixed number in lowest terms ("1 3/4", "-2 1/3"); proper fractions stay "3/4"."""
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value), 1)
    if rest == 0:
        return f"{sign}{whole}"
    if whole == 0:
        return f"{sign}{rest.numerator}/{rest.denominator}"
    return f"{sign}{whole} {rest.numerator}/{rest.denominator}"


def format_number(value: Fraction) -> str:
    """Decimal when it terminates, otherwise a fraction: how an answer key is shown."""
    return format_decimal(value) if terminates(value) else format_fraction(value)
