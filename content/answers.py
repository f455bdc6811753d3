"""Checking a student's typed answer against an item's key.

Decisions (documented in FORMAT.md):
- numeric: "0.5", ".5", "-3", "1,000", "$4.50" and, unless the key sets
  `allow_fraction: false`, "1/2" and "1 1/2" (a fraction is an exact number).
  "%" only when the key is a percentage. Right within |x - value| <= tolerance,
  computed exactly.
- fraction: "a/b", "-a/b", mixed "w a/b" and whole numbers ("3" is 3/1);
  equivalent fractions count unless the key asks for simplest form; decimals
  are not fractions and get an error asking for one.
- multiple choice: the choice's label ("B", "b", "(b)", "b)") or its text.
- short text: any accepted answer, ignoring case, spaces and a final period.
Input that cannot be read as the expected kind of answer is never an exception:
the result has `error` set (a message for the student) and `correct=False`; a
service should ask again rather than count it as an attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from content.keys import ChoiceKey, FractionKey, NumericKey, TextKey, choice_text, text_key
from content.models import Item
from content.numbers import (
    MAX_INPUT_LENGTH,
    Misread,
    MisreadReason,
    format_decimal,
    format_fraction,
    format_rounded,
    read_number,
    terminates,
    tidy,
)

CORRECT = "Correct!"
WRONG = "Not quite — check your work and try again."
NOT_SIMPLEST = "That's equal to the answer, but it isn't in simplest form yet."
NOT_MIXED = "That's the right amount — now write it as a mixed number, like 1 3/4."
NOT_IMPROPER = "That's the right amount — now write it as an improper fraction, like 7/4."
NOT_QUITE = "Not quite."
EMPTY = "Type your answer first."
TOO_LONG = f"That answer is too long — keep it under {MAX_INPUT_LENGTH} characters."

_MISREAD: dict[MisreadReason, str] = {
    MisreadReason.EMPTY: EMPTY,
    MisreadReason.TOO_LONG: TOO_LONG,
    MisreadReason.ZERO_DENOMINATOR: (
        "A fraction can't have 0 on the bottom — check your denominator."
    ),
    MisreadReason.DECIMAL_COMMA: "Use a dot for decimals, like 2.5 (not 2,5).",
    MisreadReason.IMPROPER_MIXED: (
        "In a mixed number the fraction part should be less than 1, like 2 1/3."
    ),
    MisreadReason.DECIMAL_IN_FRACTION: (
        "Use whole numbers on the top and bottom of a fraction, like 3/4."
    ),
}

NOT_A_FRACTION = "That doesn't look like a fraction — try something like 3/4."
NOT_A_NUMBER = "That doesn't look like a number — try something like 12, 0.5 or 3/4."
NOT_A_DECIMAL_NUMBER = "That doesn't look like a number — try something like 12 or 0.5."
NEED_FRACTION_NOT_DECIMAL = "Write your answer as a fraction, like 3/4, not as a decimal."
NEED_DECIMAL = "Write your answer as a decimal, like 0.75, not as a fraction."
NO_PERCENT = "Leave off the % sign — just type the number."

# Every fixed message above: the service's translation catalogues hold each of them,
# and its pages show a result's feedback in the student's language. (The one that
# lists a question's choice letters only reaches API clients: the page offers the
# choices as buttons.)
STUDENT_MESSAGES: tuple[str, ...] = (
    CORRECT, WRONG, NOT_SIMPLEST, NOT_MIXED, NOT_IMPROPER, NOT_QUITE, EMPTY,
    TOO_LONG, *_MISREAD.values(), NOT_A_FRACTION, NOT_A_NUMBER, NOT_A_DECIMAL_NUMBER,
    NEED_FRACTION_NOT_DECIMAL, NEED_DECIMAL, NO_PERCENT,
)  # fmt: skip


@dataclass(frozen=True)
class CheckResult:
    """Outcome of checking one answer.

    `normalized` is the answer as understood ("1,000" -> "1000", "b" -> the
    choice text), None when it could not be read; `error` explains why.
    """

    correct: bool
    normalized: str | None
    feedback: str
    error: str | None = None


def _unreadable(message: str) -> CheckResult:
    return CheckResult(False, None, message, message)


def _verdict(correct: bool, normalized: str, wrong: str = WRONG) -> CheckResult:
    return CheckResult(correct, normalized, CORRECT if correct else wrong)


def check_answer(item: Item, raw: str) -> CheckResult:
    """Check typed text against `item`'s key; never raises for anything a student types."""
    if not isinstance(raw, str):
        raise TypeError(f"answer must be str, got {type(raw).__name__}")
    return check_key(item.answer, raw)


def check_key(key: NumericKey | FractionKey | ChoiceKey | TextKey, raw: str) -> CheckResult:
    """`check_answer` for a bare answer key (the validator and CSV import use it)."""
    if not isinstance(raw, str):
        raise TypeError(f"answer must be str, got {type(raw).__name__}")
    if len(raw) > MAX_INPUT_LENGTH:
        return _unreadable(TOO_LONG)
    if isinstance(key, NumericKey):
        return _check_numeric(key, raw)
    if isinstance(key, FractionKey):
        return _check_fraction(key, raw)
    if isinstance(key, ChoiceKey):
        return _check_choice(key, raw)
    if isinstance(key, TextKey):
        return _check_text(key, raw)
    raise TypeError(f"unknown answer key {type(key).__name__}")


def _strip_unit(text: str, unit: str | None) -> str:
    if unit is None:
        return text
    for form in (unit + "es", unit + "s", unit):
        m = re.match(rf"^(.*\d%?)\s*{re.escape(form)}\.?$", text, flags=re.IGNORECASE)
        if m:
            return m[1]
    return text


def _check_numeric(key: NumericKey, raw: str) -> CheckResult:
    reading = read_number(_strip_unit(tidy(raw), key.unit))
    if isinstance(reading, Misread):
        fallback = NOT_A_NUMBER if key.allow_fraction else NOT_A_DECIMAL_NUMBER
        return _unreadable(_MISREAD.get(reading.reason, fallback))
    if reading.percent and not key.percent:
        return _unreadable(NO_PERCENT)
    if reading.form in ("fraction", "mixed") and not key.allow_fraction:
        return _unreadable(NEED_DECIMAL)
    shown = reading.text + ("%" if key.percent else "")
    return _verdict(abs(reading.value - key.value) <= key.tolerance, shown)


def _check_fraction(key: FractionKey, raw: str) -> CheckResult:
    reading = read_number(raw, strip_currency=False)
    if isinstance(reading, Misread):
        return _unreadable(_MISREAD.get(reading.reason, NOT_A_FRACTION))
    if reading.percent:
        return _unreadable(NOT_A_FRACTION)
    if reading.form == "decimal":
        return _unreadable(NEED_FRACTION_NOT_DECIMAL)
    if reading.value != key.exact:
        return _verdict(False, reading.text)
    if key.simplest_form and not reading.in_simplest_form:
        return _verdict(False, reading.text, NOT_SIMPLEST)
    if key.mixed_number and reading.form == "fraction" and abs(reading.value) > 1:
        return _verdict(False, reading.text, NOT_MIXED)
    if key.improper_fraction and reading.form == "mixed":
        return _verdict(False, reading.text, NOT_IMPROPER)
    return _verdict(True, reading.text)


_LABEL = re.compile(r"^\(?([a-z])[).]?$")


def _check_choice(key: ChoiceKey, raw: str) -> CheckResult:
    typed = choice_text(raw)
    labels = [chr(ord("A") + i) for i in range(len(key.choices))]
    pick = f"Pick one of the choices: {', '.join(labels[:-1])} or {labels[-1]}."
    if not typed:
        return _unreadable(EMPTY)
    chosen = next((c for c in key.choices if choice_text(c) == typed), None)
    if chosen is None and (m := _LABEL.match(typed)):
        index = ord(m[1]) - ord("a")
        chosen = key.choices[index] if index < len(key.choices) else None
    if chosen is None:
        return _unreadable(pick)
    return _verdict(choice_text(chosen) == choice_text(key.correct), chosen, NOT_QUITE)


def _check_text(key: TextKey, raw: str) -> CheckResult:
    typed = text_key(raw)
    if not typed:
        return _unreadable(EMPTY)
    accepted = {text_key(a) for a in key.accepted}
    return _verdict(typed in accepted, tidy(raw).casefold(), NOT_QUITE)


def canonical_answer(key: NumericKey | FractionKey | ChoiceKey | TextKey) -> str:
    """A correct answer as a student would type it (the validator checks it is accepted)."""
    if isinstance(key, NumericKey):
        return _numeric_text(key.value, key.tolerance, key.allow_fraction)
    if isinstance(key, FractionKey):
        return key.value
    if isinstance(key, ChoiceKey):
        return key.correct
    return key.accepted[0]


def _numeric_text(value: Fraction, tolerance: Fraction, allow_fraction: bool) -> str:
    if terminates(value):
        return format_decimal(value)
    if allow_fraction:
        return format_fraction(value)
    for places in range(1, 13):
        text = format_rounded(value, places)
        if abs(Fraction(text) - value) <= tolerance:
            return text
    return format_rounded(value, 12)
