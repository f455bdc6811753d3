from __future__ import annotations

from fractions import Fraction

import pytest

from content.numbers import (
    Misread,
    MisreadReason,
    Reading,
    format_decimal,
    format_fraction,
    format_mixed,
    format_number,
    format_rounded,
    parse_exact,
    read_number,
)

F = Fraction


@pytest.mark.parametrize(
    ("raw", "value", "form", "text"),
    [
        ("12", F(12), "integer", "12"),
        ("-3", F(-3), "integer", "-3"),
        ("0.5", F(1, 2), "decimal", "0.5"),
        (".5", F(1, 2), "decimal", "0.5"),
        ("5.", F(5), "decimal", "5"),
        ("1,000", F(1000), "integer", "1000"),
        ("12,345.5", F(24691, 2), "decimal", "12345.5"),
        ("3/4", F(3, 4), "fraction", "3/4"),
        (" 3 / 4 ", F(3, 4), "fraction", "3/4"),
        ("−3/4", F(-3, 4), "fraction", "-3/4"),
        ("1 1/2", F(3, 2), "mixed", "1 1/2"),
        ("-2  1/3", F(-7, 3), "mixed", "-2 1/3"),
        ("$4.50", F(9, 2), "decimal", "4.50"),
        ("3⁄4", F(3, 4), "fraction", "3/4"),
        ("1½", F(3, 2), "mixed", "1 1/2"),
        ("¾", F(3, 4), "fraction", "3/4"),
    ],
)
def test_reads_numbers(raw: str, value: Fraction, form: str, text: str) -> None:
    reading = read_number(raw)
    assert isinstance(reading, Reading)
    assert (reading.value, reading.form, reading.text) == (value, form, text)


def test_percent_is_flagged_not_converted() -> None:
    reading = read_number("50 %")
    assert isinstance(reading, Reading)
    assert reading.percent and reading.value == 50


def test_simplest_form_looks_at_the_written_fraction() -> None:
    for raw, simplest in [("2/4", False), ("1/2", True), ("1 2/4", False), ("3", True)]:
        reading = read_number(raw)
        assert isinstance(reading, Reading)
        assert reading.in_simplest_form is simplest


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", MisreadReason.EMPTY),
        ("   ", MisreadReason.EMPTY),
        ("1" * 201, MisreadReason.TOO_LONG),
        ("1/0", MisreadReason.ZERO_DENOMINATOR),
        ("2 1/0", MisreadReason.ZERO_DENOMINATOR),
        ("1,5", MisreadReason.DECIMAL_COMMA),
        ("1 5/4", MisreadReason.IMPROPER_MIXED),
        ("1.5/2", MisreadReason.DECIMAL_IN_FRACTION),
        ("1//2", MisreadReason.MALFORMED),
        ("abc", MisreadReason.MALFORMED),
        ("1/-2", MisreadReason.MALFORMED),
        ("1/2/3", MisreadReason.MALFORMED),
        ("--1", MisreadReason.MALFORMED),
        ("1e5", MisreadReason.MALFORMED),
    ],
)
def test_misreads_name_the_reason(raw: str, reason: MisreadReason) -> None:
    assert read_number(raw) == Misread(reason)


def test_parse_exact_accepts_author_numbers() -> None:
    assert parse_exact(0.1) == F(1, 10)
    assert parse_exact(3) == 3
    assert parse_exact("1 1/2") == F(3, 2)
    assert parse_exact(F(2, 3)) == F(2, 3)
    for bad in (True, "50%", "x", float("nan"), None):
        with pytest.raises(ValueError):
            parse_exact(bad)


def test_formatting() -> None:
    assert format_decimal(F(3, 8)) == "0.375"
    assert format_decimal(F(-5, 2)) == "-2.5"
    assert format_decimal(F(4)) == "4"
    with pytest.raises(ValueError, match="no exact decimal"):
        format_decimal(F(1, 3))
    assert format_rounded(F(2, 3), 2) == "0.67"
    assert format_rounded(F(1, 8), 2) == "0.13"
    assert format_rounded(F(-2, 3), 1) == "-0.7"
    assert format_fraction(F(6, 8)) == "3/4"
    assert format_mixed(F(7, 4)) == "1 3/4"
    assert format_mixed(F(-7, 3)) == "-2 1/3"
    assert format_mixed(F(3, 4)) == "3/4"
    assert format_mixed(F(2)) == "2"
    assert format_number(F(1, 3)) == "1/3"
    assert format_number(F(1, 4)) == "0.25"
