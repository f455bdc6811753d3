from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.answers import CheckResult, canonical_answer, check_answer
from content.models import Item


def item(kind: str, **answer: Any) -> Item:
    return Item.model_validate(
        {"id": "q", "skills": ["s"], "type": kind, "prompt": "?", "answer": answer}
    )


def ok(result: CheckResult) -> bool:
    return result.correct and result.error is None


def wrong(result: CheckResult) -> bool:
    """Read fine but not right: feedback, no error."""
    return not result.correct and result.error is None and result.normalized is not None


def unreadable(result: CheckResult) -> bool:
    return not result.correct and result.error is not None and result.normalized is None


# --- fractions -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1/2", "2/4", " 3 / 6 ", "50/100", "4/8"])
def test_equivalent_fractions_are_accepted(raw: str) -> None:
    assert ok(check_answer(item("fraction", value="1/2"), raw))


def test_simplest_form_items_reject_unreduced_fractions_with_feedback() -> None:
    key = item("fraction", value="1/2", simplest_form=True)
    assert ok(check_answer(key, "1/2"))
    result = check_answer(key, "2/4")
    assert wrong(result)
    assert "simplest form" in result.feedback
    assert result.normalized == "2/4"


def test_mixed_numbers_and_whole_numbers() -> None:
    assert ok(check_answer(item("fraction", value="3/2"), "1 1/2"))
    assert ok(check_answer(item("fraction", value="1 1/2"), "3/2"))
    assert ok(check_answer(item("fraction", value="3"), "3"))
    assert ok(check_answer(item("fraction", value="3"), "6/2"))
    assert ok(check_answer(item("fraction", value="-3/4"), "−3/4"))
    assert wrong(check_answer(item("fraction", value="3/2"), "1 1/3"))


def test_mixed_number_and_improper_forms_when_required() -> None:
    mixed = item("fraction", value="1 3/4", mixed_number=True)
    assert ok(check_answer(mixed, "1 3/4"))
    result = check_answer(mixed, "7/4")
    assert wrong(result) and "mixed number" in result.feedback
    improper = item("fraction", value="7/4", improper_fraction=True)
    assert ok(check_answer(improper, "7/4"))
    result = check_answer(improper, "1 3/4")
    assert wrong(result) and "improper fraction" in result.feedback
    assert ok(check_answer(item("fraction", value="3/4", mixed_number=True), "3/4"))


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("1//2", "doesn't look like a fraction"),
        ("abc", "doesn't look like a fraction"),
        ("1/0", "0 on the bottom"),
        ("0.5", "as a fraction"),
        ("50%", "doesn't look like a fraction"),
        ("1.5/3", "whole numbers on the top and bottom"),
        ("1 3/2", "less than 1"),
        ("", "Type your answer"),
        ("1/" + "2" * 250, "too long"),
    ],
)
def test_malformed_fraction_answers_give_errors_not_exceptions(raw: str, says: str) -> None:
    result = check_answer(item("fraction", value="1/2"), raw)
    assert unreadable(result)
    assert result.error is not None and says in result.error
    assert result.feedback == result.error


@given(a=st.integers(-60, 60), b=st.integers(1, 60), k=st.integers(1, 25))
def test_scaled_fraction_is_accepted_unless_simplest_form_is_required(
    a: int, b: int, k: int
) -> None:
    """For a/b in lowest terms, "ka/kb" equals it; under simplest form only k = 1 passes."""
    value = Fraction(a, b)
    p, q = value.numerator, value.denominator
    sign = "-" if p < 0 else ""
    key_text, scaled = f"{sign}{abs(p)}/{q}", f"{sign}{abs(p) * k}/{q * k}"

    result = check_answer(item("fraction", value=key_text), scaled)
    assert ok(result) and result.normalized == scaled

    strict = check_answer(item("fraction", value=key_text, simplest_form=True), scaled)
    assert strict.correct is (k == 1)
    if k > 1:
        assert wrong(strict) and "simplest form" in strict.feedback

    off_by_one = f"{sign}{abs(p) * k + 1}/{q * k}"
    assert wrong(check_answer(item("fraction", value=key_text), off_by_one))


# --- numeric ---------------------------------------------------------------------------


def test_numeric_tolerance_edges_are_exact() -> None:
    key = item("numeric", value="2.5", tolerance="0.1")
    for raw in ["2.4", "2.6", "2.5", "5/2", "2 1/2"]:
        assert ok(check_answer(key, raw)), raw
    for raw in ["2.39", "2.61", "2.6000001"]:
        assert wrong(check_answer(key, raw)), raw


def test_numeric_zero_tolerance_and_formats() -> None:
    key = item("numeric", value=1000)
    for raw in ["1000", "1,000", "1000.0", "$1,000", " 1000 "]:
        assert ok(check_answer(key, raw)), raw
    assert check_answer(key, "1,000").normalized == "1000"
    assert ok(check_answer(item("numeric", value=-3), "-3"))
    assert ok(check_answer(item("numeric", value=0.5), ".5"))
    assert ok(check_answer(item("numeric", value=0.5), "1/2"))


def test_decimal_only_items_reject_fractions_with_an_error() -> None:
    key = item("numeric", value=0.75, allow_fraction=False)
    assert ok(check_answer(key, "0.75"))
    result = check_answer(key, "3/4")
    assert unreadable(result) and "decimal" in (result.error or "")


def test_percent_only_where_the_item_allows() -> None:
    pct = item("numeric", value=75, percent=True)
    assert ok(check_answer(pct, "75%")) and ok(check_answer(pct, "75"))
    assert check_answer(pct, "75").normalized == "75%"
    assert wrong(check_answer(pct, "0.75"))
    plain = item("numeric", value=50)
    result = check_answer(plain, "50%")
    assert unreadable(result) and "%" in (result.error or "")


def test_units_may_follow_the_number() -> None:
    key = item("numeric", value=36, unit="inch")
    for raw in ["36", "36 inches", "36 inch", "36inches"]:
        assert ok(check_answer(key, raw)), raw
    assert unreadable(check_answer(item("numeric", value=36), "36 inches"))


@pytest.mark.parametrize("raw", ["abc", "1//2", "1/0", "1,5", "", "9" * 201, "12 apples"])
def test_malformed_numeric_answers_give_errors(raw: str) -> None:
    assert unreadable(check_answer(item("numeric", value=12), raw))


# --- multiple choice and short text ---------------------------------------------------


def test_multiple_choice_by_label_or_text() -> None:
    key = item("multiple_choice", choices=["1/3", "1/2", "Two thirds"], correct="1/2")
    for raw in ["B", "b", "(b)", "b)", "b.", "1/2", " 1/2 "]:
        assert ok(check_answer(key, raw)), raw
    result = check_answer(key, "a")
    assert wrong(result) and result.normalized == "1/3"
    assert wrong(check_answer(key, "two  THIRDS"))
    result = check_answer(key, "d")
    assert unreadable(result) and "A, B or C" in (result.error or "")
    assert unreadable(check_answer(key, "3/4"))


def test_choice_text_wins_over_a_label() -> None:
    key = item("multiple_choice", choices=["B", "A"], correct="A")
    assert ok(check_answer(key, "a"))


def test_short_text_ignores_case_spaces_and_final_period() -> None:
    key = item("short_text", accepted=["unit rate", "rate"])
    for raw in ["Unit Rate", "unitrate", "  unit   rate. ", "RATE"]:
        assert ok(check_answer(key, raw)), raw
    assert wrong(check_answer(key, "ratio"))
    assert unreadable(check_answer(key, "   "))
    assert unreadable(check_answer(key, "x" * 201))


def test_non_string_answer_is_a_programmer_error() -> None:
    with pytest.raises(TypeError):
        check_answer(item("numeric", value=1), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        ("numeric", {"value": "1/3"}, "1/3"),
        ("numeric", {"value": 0.25}, "0.25"),
        ("numeric", {"value": "2/3", "tolerance": 0.005, "allow_fraction": False}, "0.67"),
        ("fraction", {"value": "2/4"}, "2/4"),
        ("multiple_choice", {"choices": ["x", "y"], "correct": "y"}, "y"),
        ("short_text", {"accepted": ["yes", "yep"]}, "yes"),
    ],
)
def test_canonical_answer_is_accepted(kind: str, answer: dict[str, Any], expected: str) -> None:
    it = item(kind, **answer)
    assert canonical_answer(it.answer) == expected
    assert ok(check_answer(it, expected))


KEYS = [
    item("fraction", value="3/4", simplest_form=True),
    item("fraction", value="7/4", mixed_number=True),
    item("numeric", value="2.5", tolerance="0.01", unit="cm"),
    item("numeric", value=75, percent=True, allow_fraction=False),
    item("multiple_choice", choices=["1/2", "2/3", "x"], correct="x"),
    item("short_text", accepted=["unit rate"]),
]


@given(raw=st.text(max_size=260), index=st.integers(0, len(KEYS) - 1))
def test_anything_a_student_types_gives_a_result_never_an_exception(raw: str, index: int) -> None:
    result = check_answer(KEYS[index], raw)
    assert isinstance(result, CheckResult)
    assert (result.error is None) == (result.normalized is not None)
    assert result.feedback
    if result.error is not None:
        assert not result.correct


@given(raw=st.from_regex(r"\A[ \-−0-9/.,%$]{0,12}\Z"))
def test_number_like_noise_never_raises(raw: str) -> None:
    for key in KEYS[:4]:
        check_answer(key, raw)
