"""A tiny, safe arithmetic language for item templates.

Templates compute answers and prompt numbers from parameters, e.g. `a*k`,
`(a*d + c*b) / (b*d)`, `lcm(b, d)`. Nothing is ever passed to `eval`: text is
tokenised and parsed by hand into a small tree over exact `Fraction`s, with
+ - * / ( ), unary minus, a few whitelisted functions and, for `where`
conditions only, one comparison. Expressions are length-limited, so they
cannot build huge numbers or deep recursion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

MAX_EXPRESSION_LENGTH = 200


class ExpressionError(ValueError):
    """The expression is malformed or cannot be evaluated with these values."""


def _integers(name: str, args: Sequence[Fraction]) -> list[int]:
    if any(a.denominator != 1 for a in args):
        raise ExpressionError(f"{name}() needs whole numbers")
    return [a.numerator for a in args]


def _gcd(*args: Fraction) -> Fraction:
    return Fraction(math.gcd(*_integers("gcd", args)))


def _lcm(*args: Fraction) -> Fraction:
    return Fraction(math.lcm(*_integers("lcm", args)))


def _one(name: str, fn: Callable[[Fraction], Fraction]) -> Callable[..., Fraction]:
    def call(*args: Fraction) -> Fraction:
        if len(args) != 1:
            raise ExpressionError(f"{name}() takes exactly one argument")
        return fn(args[0])

    return call


def _many(name: str, fn: Callable[..., Fraction]) -> Callable[..., Fraction]:
    def call(*args: Fraction) -> Fraction:
        if not args:
            raise ExpressionError(f"{name}() needs at least one argument")
        return fn(*args)

    return call


FUNCTIONS: Mapping[str, Callable[..., Fraction]] = {
    "gcd": _many("gcd", _gcd),
    "lcm": _many("lcm", _lcm),
    "min": _many("min", min),
    "max": _many("max", max),
    "abs": _one("abs", abs),
    "num": _one("num", lambda x: Fraction(x.numerator)),
    "den": _one("den", lambda x: Fraction(x.denominator)),
    "floor": _one("floor", lambda x: Fraction(math.floor(x))),
}

_COMPARISONS: Mapping[str, Callable[[Fraction, Fraction], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op><=|>=|==|!=|[-+*/(),<>]))"
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int


# --- tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Num:
    value: Fraction


@dataclass(frozen=True)
class _Var:
    name: str


@dataclass(frozen=True)
class _Neg:
    operand: _Node


@dataclass(frozen=True)
class _Bin:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[_Node, ...]


_Node = _Num | _Var | _Neg | _Bin | _Call


def _tokenise(text: str) -> list[_Token]:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            bad = text[pos:].lstrip()[:1]
            raise ExpressionError(f"unexpected character {bad!r} in {text!r}")
        tokens.append(_Token(m.lastgroup, m[m.lastgroup], m.start(m.lastgroup)))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        if self.tok.text != text:
            self.fail(f"expected {text!r}")
        self.take()

    def fail(self, what: str) -> None:
        found = repr(self.tok.text) if self.tok.kind != "end" else "end of expression"
        raise ExpressionError(f"{what} but found {found} in {self.text!r}")

    def expression(self) -> _Node:
        node = self.term()
        while self.tok.text in ("+", "-"):
            op = self.take().text
            node = _Bin(op, node, self.term())
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.tok.text in ("*", "/"):
            op = self.take().text
            node = _Bin(op, node, self.unary())
        return node

    def unary(self) -> _Node:
        if self.tok.text == "-":
            self.take()
            return _Neg(self.unary())
        if self.tok.text == "+":
            self.take()
            return self.unary()
        return self.atom()

    def atom(self) -> _Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            return _Num(Fraction(tok.text))
        if tok.kind == "name":
            self.take()
            if self.tok.text != "(":
                return _Var(tok.text)
            if tok.text not in FUNCTIONS:
                allowed = ", ".join(sorted(FUNCTIONS))
                raise ExpressionError(f"unknown function {tok.text!r} (allowed: {allowed})")
            self.take()
            args = [self.expression()]
            while self.tok.text == ",":
                self.take()
                args.append(self.expression())
            self.expect(")")
            return _Call(tok.text, tuple(args))
        if tok.text == "(":
            self.take()
            node = self.expression()
            self.expect(")")
            return node
        self.fail("expected a number, a name or '('")
        raise AssertionError("unreachable")

    def finish(self) -> None:
        if self.tok.kind != "end":
            self.fail("expected an operator")


@dataclass(frozen=True)
class Expression:
    """A parsed arithmetic expression; `names` are the variables it reads."""

    text: str
    tree: _Node
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, Fraction]) -> Fraction:
        return _evaluate(self.tree, env)

    @property
    def variable(self) -> str | None:
        """The name, when the whole expression is one bare variable."""
        return self.tree.name if isinstance(self.tree, _Var) else None


@dataclass(frozen=True)
class Condition:
    """`left OP right` with OP one of < <= > >= == !=, for template `where` clauses."""

    text: str
    left: Expression
    op: str
    right: Expression

    @property
    def names(self) -> frozenset[str]:
        return self.left.names | self.right.names

    def holds(self, env: Mapping[str, Fraction]) -> bool:
        return _COMPARISONS[self.op](self.left.evaluate(env), self.right.evaluate(env))


def _names(node: _Node) -> frozenset[str]:
    match node:
        case _Num():
            return frozenset()
        case _Var(name):
            return frozenset({name})
        case _Neg(operand):
            return _names(operand)
        case _Bin(_, left, right):
            return _names(left) | _names(right)
        case _Call(_, args):
            return frozenset().union(*(_names(a) for a in args))
    raise AssertionError(node)


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """Parse arithmetic text; raises ExpressionError naming the problem."""
    parser = _Parser(text)
    tree = parser.expression()
    parser.finish()
    return Expression(text, tree, _names(tree))


@lru_cache(maxsize=1024)
def parse_condition(text: str) -> Condition:
    """Parse `expr OP expr`; raises ExpressionError naming the problem."""
    parser = _Parser(text)
    left = parser.expression()
    op = parser.tok.text
    if op not in _COMPARISONS:
        parser.fail("expected a comparison (<, <=, >, >=, ==, !=)")
    parser.take()
    right = parser.expression()
    parser.finish()
    return Condition(
        text,
        Expression(text, left, _names(left)),
        op,
        Expression(text, right, _names(right)),
    )


def evaluate(text: str, env: Mapping[str, Fraction]) -> Fraction:
    """Parse and evaluate in one go."""
    return parse_expression(text).evaluate(env)


def _evaluate(node: _Node, env: Mapping[str, Fraction]) -> Fraction:
    match node:
        case _Num(value):
            return value
        case _Var(name):
            if name not in env:
                raise ExpressionError(f"unknown name {name!r}")
            return env[name]
        case _Neg(operand):
            return -_evaluate(operand, env)
        case _Bin(op, left, right):
            a, b = _evaluate(left, env), _evaluate(right, env)
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if b == 0:
                raise ExpressionError("division by zero")
            return a / b
        case _Call(name, args):
            return FUNCTIONS[name](*(_evaluate(a, env) for a in args))
    raise AssertionError(node)
