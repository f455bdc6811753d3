"""`{expression}` placeholders in template text, rendered from parameter values.

A placeholder that is just a parameter name is replaced by the parameter as
written ("2.50" stays "2.50", "Maya" stays "Maya"); computed values are shown as
whole numbers or lowest-terms fractions, or in the form asked for after a
colon: `{x:mixed}` (1 3/4), `{x:dec}` (exact decimal), `{x:dec2}` (rounded to
2 places; dec0-dec9), `{x:money}` (same as dec2). `{{` and `}}` are literal
braces. Arithmetic is `content.expressions` - never `eval`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from content.expressions import Expression, ExpressionError, parse_expression
from content.numbers import (
    Reading,
    format_decimal,
    format_fraction,
    format_mixed,
    format_rounded,
    read_number,
)

FORMATS = ("", "frac", "mixed", "dec", "decN", "money")
_ROUNDED = re.compile(r"^dec([0-9])$")


@dataclass(frozen=True)
class Value:
    """A parameter: its number (None for text such as a name) and its text as written."""

    number: Fraction | None
    text: str


def numbers(env: Mapping[str, Value]) -> dict[str, Fraction]:
    """The numeric parameters, for evaluating expressions."""
    return {k: v.number for k, v in env.items() if v.number is not None}


def param_value(raw: int | float | str) -> Value:
    text = repr(raw) if isinstance(raw, float) else str(raw)
    reading = read_number(text, strip_currency=False)
    if isinstance(reading, Reading) and not reading.percent:
        return Value(reading.value, text)
    return Value(None, text)


@dataclass(frozen=True)
class Placeholder:
    expression: Expression
    fmt: str


_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def pieces(template: str) -> Iterator[str | Placeholder]:
    """Literal text and placeholders, in order; raises ExpressionError on bad syntax."""
    pos = 0
    for m in _PIECE.finditer(template):
        yield template[pos : m.start()]
        pos = m.end()
        token = m[0]
        if token in ("{{", "}}"):
            yield token[0]
        elif token in ("{", "}"):
            raise ExpressionError(f"unmatched {token!r} (write {token * 2} for a literal brace)")
        else:
            body, _, fmt = m[1].partition(":")
            fmt = fmt.strip()
            if fmt not in FORMATS and not _ROUNDED.match(fmt):
                raise ExpressionError(f"unknown format {fmt!r} in {{{m[1]}}} (use {FORMATS[1:]})")
            yield Placeholder(parse_expression(body.strip()), fmt)
    yield template[pos:]


def format_value(value: Fraction, fmt: str) -> str:
    """A computed value in one of FORMATS."""
    if fmt == "mixed":
        return format_mixed(value)
    if fmt == "dec":
        try:
            return format_decimal(value)
        except ValueError as e:
            raise ExpressionError(str(e)) from None
    if fmt == "money":
        return format_rounded(value, 2)
    if m := _ROUNDED.match(fmt):
        return format_rounded(value, int(m[1]))
    return format_fraction(value)


def render(template: str, env: Mapping[str, Value]) -> str:
    """The text with every placeholder replaced; raises ExpressionError."""
    values = numbers(env)
    out: list[str] = []
    for piece in pieces(template):
        if isinstance(piece, str):
            out.append(piece)
            continue
        expr, fmt = piece.expression, piece.fmt
        name = expr.variable
        if name is not None and name in env and not fmt:
            out.append(env[name].text)
            continue
        text_names = sorted(n for n in expr.names if n in env and env[n].number is None)
        if text_names:
            raise ExpressionError(f"{text_names[0]!r} is text, not a number, in {{{expr.text}}}")
        out.append(format_value(expr.evaluate(values), fmt))
    return "".join(out)


def render_tree(value: Any, env: Mapping[str, Value]) -> Any:
    """`render` applied to every string inside lists and mappings."""
    if isinstance(value, str):
        return render(value, env)
    if isinstance(value, list | tuple):
        return [render_tree(v, env) for v in value]
    if isinstance(value, dict):
        return {k: render_tree(v, env) for k, v in value.items()}
    return value


def placeholder_names(template: str) -> frozenset[str]:
    """Every name the placeholders read; raises ExpressionError on bad syntax."""
    found: set[str] = set()
    for piece in pieces(template):
        if isinstance(piece, Placeholder):
            found |= piece.expression.names
    return frozenset(found)
