from __future__ import annotations

from fractions import Fraction

import pytest

from content.expressions import ExpressionError
from content.placeholders import Value, param_value, placeholder_names, render, render_tree

ENV = {
    "a": Value(Fraction(3), "3"),
    "b": Value(Fraction(4), "4"),
    "p": Value(Fraction(5, 2), "2.50"),
    "name": Value(None, "Maya"),
}


def test_params_keep_their_spelling_computed_values_are_lowest_terms() -> None:
    assert render("{name} pays ${p}, {a}/{b} = {a*2}/{b*2}, {p*2}", ENV) == (
        "Maya pays $2.50, 3/4 = 6/8, 5"
    )
    assert render("{a/b*2} {b/a:mixed} {a/b:dec} {a/7:dec2} {p:money} {{x}}", ENV) == (
        "3/2 1 1/3 0.75 0.43 2.50 {x}"
    )


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{a/7:dec}", "no exact decimal"),
        ("{name + 1}", "'name' is text"),
        ("{a/(b-4)}", "division by zero"),
        ("{a:fancy}", "unknown format"),
        ("{a", "unmatched '{'"),
        ("a}", "unmatched '}'"),
    ],
)
def test_render_errors(template: str, says: str) -> None:
    with pytest.raises(ExpressionError, match=says):
        render(template, ENV)


def test_param_values() -> None:
    assert param_value(3) == Value(Fraction(3), "3")
    assert param_value(0.1) == Value(Fraction(1, 10), "0.1")
    assert param_value("1 1/2") == Value(Fraction(3, 2), "1 1/2")
    assert param_value("Maya") == Value(None, "Maya")
    assert param_value("50%") == Value(None, "50%")


def test_names_and_trees() -> None:
    assert placeholder_names("{a} and {gcd(a, b) + c:mixed} {{d}}") == {"a", "b", "c"}
    assert render_tree({"choices": ["{a}", "{b}"], "n": 2}, ENV) == {"choices": ["3", "4"], "n": 2}
