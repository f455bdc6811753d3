from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.expressions import (
    ExpressionError,
    evaluate,
    parse_condition,
    parse_expression,
)

F = Fraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", F(7)),
        ("(1 + 2) * 3", F(9)),
        ("7 / 2", F(7, 2)),
        ("-3 - -2", F(-1)),
        ("0.1 + 0.2", F(3, 10)),
        (".5 * 4", F(2)),
        ("(a*d + c*b) / (b*d)", F(5, 6)),
        ("lcm(b, d) + gcd(12, 18)", F(12)),
        ("min(a, c) + max(b, d) + abs(-2)", F(6)),
        ("num(6/8) + den(6/8)", F(7)),
        ("floor(7/2)", F(3)),
    ],
)
def test_evaluates_exactly(text: str, expected: Fraction) -> None:
    env = {"a": F(1), "b": F(2), "c": F(1), "d": F(3)}
    assert evaluate(text, env) == expected


def test_names_lists_variables() -> None:
    assert parse_expression("a * k + lcm(b, 4)").names == {"a", "k", "b"}
    assert parse_expression("x").variable == "x"
    assert parse_expression("x + 1").variable is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 +", "expected a number"),
        ("a b", "expected an operator"),
        ("2 ** 3", "expected a number"),
        ("2 ^ 3", "unexpected character"),
        ("foo(1)", "unknown function 'foo'"),
        ("__import__('os')", "unexpected character"),
        ("(1 + 2", r"expected '\)'"),
        ("gcd()", "expected a number"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_malformed_expressions_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, {"a": F(1), "b": F(1)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 / (a - a)", "division by zero"),
        ("zz + 1", "unknown name 'zz'"),
        ("gcd(1/2, 3)", "whole numbers"),
        ("abs(1, 2)", "exactly one argument"),
    ],
)
def test_evaluation_errors_are_expression_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, {"a": F(1)})


def test_conditions() -> None:
    env = {"a": F(2), "b": F(3)}
    assert parse_condition("a < b").holds(env)
    assert parse_condition("gcd(a, b) == 1").holds(env)
    assert not parse_condition("a * 2 >= b * 2").holds(env)
    assert parse_condition("a != b").names == {"a", "b"}
    with pytest.raises(ExpressionError, match="comparison"):
        parse_condition("a + b")
    with pytest.raises(ExpressionError):
        parse_condition("a < b < 4")


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 50))
def test_matches_fraction_arithmetic(x: int, y: int, z: int) -> None:
    env = {"x": F(x), "y": F(y), "z": F(z)}
    assert evaluate("(x + y) / z - x * y", env) == F(x + y, z) - x * y
