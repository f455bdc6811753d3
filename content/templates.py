"""Item templates: one prompt pattern, many parameter sets, one item each.

Every string in a template (prompt, hints, solution, answer fields, choices)
may hold `{expression}` placeholders (see `content.placeholders`). Parameter
sets come from an explicit `params` list or from `generate`, a seeded draw
from integer ranges and pick-lists filtered by `where` conditions. Expanded
items get ids `<template id>-<n>` (n from 1, in set order), so append new
parameter sets at the end to keep existing ids stable.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from content.expressions import (
    Condition,
    ExpressionError,
    parse_condition,
    parse_expression,
)
from content.keys import ItemType
from content.models import Difficulty, Id, Item, Text
from content.numbers import format_fraction
from content.placeholders import (
    Value,
    numbers,
    param_value,
    placeholder_names,
    render,
    render_tree,
)
from content.problems import Location, Problem
from content.pydantic_errors import problems_from_validation

ParamValue = Annotated[StrictInt | StrictFloat | StrictStr, Field(union_mode="left_to_right")]
NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
MAX_SETS = 500


def _check_names(names: Sequence[str], what: str) -> None:
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"{what} name {name!r} must be letters, digits and _")


class Generate(BaseModel):
    """A seeded draw of `count` distinct parameter sets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    count: int = Field(ge=1, le=MAX_SETS)
    ranges: dict[str, tuple[int, int]] = Field(default_factory=dict)
    pick: dict[str, Annotated[tuple[ParamValue, ...], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    where: tuple[str, ...] = ()

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, v: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        _check_names(list(v), "range")
        for name, (lo, hi) in v.items():
            if lo > hi:
                raise ValueError(f"range {name}: {lo} is above {hi}")
        return v

    @model_validator(mode="after")
    def _some_variables(self) -> Generate:
        _check_names(list(self.pick), "pick")
        if not self.ranges and not self.pick:
            raise ValueError("generate needs at least one variable in ranges or pick")
        both = set(self.ranges) & set(self.pick)
        if both:
            raise ValueError(f"{sorted(both)} appear in both ranges and pick")
        return self


class ItemTemplate(BaseModel):
    """An item family. `answer` is checked per expanded item, after rendering."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id
    skills: tuple[Id, ...] = Field(min_length=1)
    type: ItemType
    prompt: Text
    answer: dict[str, Any]
    hints: tuple[Text, ...] = ()
    solution: Text | None = None
    difficulty: Difficulty | None = None
    let: dict[str, str] = Field(default_factory=dict)
    shuffle_choices: bool = False
    params: tuple[dict[str, ParamValue], ...] | None = Field(
        default=None, min_length=1, max_length=MAX_SETS
    )
    generate: Generate | None = None

    @field_validator("let")
    @classmethod
    def _let_names(cls, v: dict[str, str]) -> dict[str, str]:
        _check_names(list(v), "let")
        return v

    @field_validator("params")
    @classmethod
    def _param_names(
        cls, v: tuple[dict[str, Any], ...] | None
    ) -> tuple[dict[str, Any], ...] | None:
        for params in v or ():
            _check_names(list(params), "parameter")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> ItemTemplate:
        if (self.params is None) == (self.generate is None):
            raise ValueError("a template needs exactly one of 'params' or 'generate'")
        if self.shuffle_choices and self.type != "multiple_choice":
            raise ValueError("shuffle_choices only applies to multiple_choice templates")
        return self


def _shuffled(answer: Any, item_id: str) -> Any:
    """Choices in an order fixed by the item id, so the right one is not always "B"."""
    if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
        return answer
    choices = list(answer["choices"])
    rng = random.Random(zlib.crc32(item_id.encode("utf-8")))
    for i in range(len(choices) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        choices[i], choices[j] = choices[j], choices[i]
    return {**answer, "choices": choices}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")


def _template_strings(t: ItemTemplate) -> list[tuple[str, str]]:
    found = [("prompt", t.prompt)]
    found += list(_strings(list(t.hints), "hints"))
    if t.solution is not None:
        found.append(("solution", t.solution))
    found += list(_strings(t.answer, "answer"))
    return found


# --- expansion ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expanded:
    """An item made from a template, with where its parameter set lives."""

    location: Location
    item: Item


def _parameter_sets(
    t: ItemTemplate, where: Location
) -> tuple[list[tuple[Location, dict[str, Value]]], list[Problem]]:
    if t.params is not None:
        sets = [
            (where.child(f"params[{j}]"), {k: param_value(v) for k, v in p.items()})
            for j, p in enumerate(t.params)
        ]
        return sets, []
    assert t.generate is not None
    return _generated(t, t.generate, where.child("generate"))


def _generated(
    t: ItemTemplate, g: Generate, where: Location
) -> tuple[list[tuple[Location, dict[str, Value]]], list[Problem]]:
    try:
        conditions: list[Condition] = [parse_condition(c) for c in g.where]
    except ExpressionError as e:
        return [], [Problem(where.child("where"), str(e))]
    # Only Random.random() is guaranteed stable across Python versions for a seed.
    rng = random.Random(g.seed)
    seen: set[tuple[str, ...]] = set()
    sets: list[tuple[Location, dict[str, Value]]] = []
    for _ in range(200 * g.count):
        drawn: dict[str, Value] = {}
        for name, (lo, hi) in g.ranges.items():
            n = lo + int(rng.random() * (hi - lo + 1))
            drawn[name] = Value(Fraction(n), str(n))
        for name, options in g.pick.items():
            drawn[name] = param_value(options[int(rng.random() * len(options))])
        key = tuple(v.text for v in drawn.values())
        if key in seen:
            continue
        try:
            env = _with_let(t, drawn)
            if not all(c.holds(numbers(env)) for c in conditions):
                continue
        except ExpressionError as e:
            shown = ", ".join(f"{k}={v.text}" for k, v in drawn.items())
            return [], [Problem(where.child("where"), f"{e} (with {shown})")]
        seen.add(key)
        sets.append((where.child(f"[{len(sets)}]"), drawn))
        if len(sets) == g.count:
            return sets, []
    found = len(sets)
    message = f"found only {found} of {g.count} distinct parameter sets satisfying 'where'"
    return [], [Problem(where, message)]


def _with_let(t: ItemTemplate, params: Mapping[str, Value]) -> dict[str, Value]:
    env = dict(params)
    for name, text in t.let.items():
        if name in params:
            raise ExpressionError(f"let {name!r} would overwrite a parameter")
        values = numbers(env)
        names = parse_expression(text).names
        text_names = sorted(n for n in names if n in env and n not in values)
        if text_names:
            raise ExpressionError(f"{text_names[0]!r} is text, not a number, in let {name}")
        value = parse_expression(text).evaluate(values)
        env[name] = Value(value, format_fraction(value))
    return env


def _static_problems(t: ItemTemplate, where: Location) -> list[Problem]:
    """Syntax errors and undeclared names, reported once per template field."""
    declared = set(t.let)
    if t.params is not None:
        declared |= {k for p in t.params for k in p}
    if t.generate is not None:
        declared |= set(t.generate.ranges) | set(t.generate.pick)
    problems: list[Problem] = []
    for name, text in t.let.items():
        try:
            parse_expression(text)
        except ExpressionError as e:
            problems.append(Problem(where.child(f"let.{name}"), str(e)))
    for path, text in _template_strings(t):
        try:
            names = placeholder_names(text)
        except ExpressionError as e:
            problems.append(Problem(where.child(path), str(e)))
            continue
        unknown = sorted(names - declared)
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            message = f"unknown name(s) {', '.join(unknown)} (parameters: {known})"
            problems.append(Problem(where.child(path), message))
    return problems


def expand_template(t: ItemTemplate, where: Location) -> tuple[list[Expanded], list[Problem]]:
    """All items of a template, or the problems that stop some of them.

    `where` is the template's location (e.g. `templates[3]`, id = template id).
    Identical problems from many parameter sets are reported once.
    """
    problems = _static_problems(t, where)
    if problems:
        return [], problems
    sets, problems = _parameter_sets(t, where)
    expanded: list[Expanded] = []
    seen: dict[tuple[str, str], int] = {}
    base = {
        "skills": list(t.skills),
        "type": t.type,
        "difficulty": t.difficulty,
        "family": t.id,
    }
    for n, (set_where, params) in enumerate(sets, start=1):
        item_id = f"{t.id}-{n}"
        loc = Location(set_where.file, set_where.path, item_id)
        found: list[Problem] = []
        try:
            env = _with_let(t, params)
            data = {
                **base,
                "id": item_id,
                "prompt": render(t.prompt, env),
                "answer": render_tree(t.answer, env),
                "hints": [render(h, env) for h in t.hints],
                "solution": None if t.solution is None else render(t.solution, env),
            }
            if t.shuffle_choices:
                data["answer"] = _shuffled(data["answer"], item_id)
            item = Item.model_validate(data)
        except ExpressionError as e:
            found.append(Problem(loc, str(e)))
        except ValidationError as e:
            found += problems_from_validation(e, loc)
        else:
            expanded.append(Expanded(loc, item))
        for p in found:
            key = (p.location.path.removeprefix(set_where.path), p.message)
            if key not in seen:
                seen[key] = len(problems)
                problems.append(p)
    return expanded, problems
