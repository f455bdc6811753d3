from __future__ import annotations

from typing import Any

import pytest

from content import curriculum_from_data, validate_curriculum
from content.problems import Location
from content.templates import ItemTemplate, expand_template

WHERE = Location("t.yaml", "templates[0]", "eq")


def template(**overrides: Any) -> ItemTemplate:
    base: dict[str, Any] = {
        "id": "eq",
        "skills": ["a"],
        "type": "numeric",
        "prompt": "{name}: fill in {a}/{b} = ?/{b*k}",
        "answer": {"value": "{a*k}"},
        "hints": ["Multiply by {k}."],
        "solution": "{a}/{b} = {a*k}/{b*k}",
        "params": [
            {"name": "Maya", "a": 1, "b": 2, "k": 3},
            {"name": "Leo", "a": 2, "b": 5, "k": 4},
        ],
    }
    base.update(overrides)
    return ItemTemplate.model_validate(base)


def test_expands_one_item_per_parameter_set() -> None:
    items, problems = expand_template(template(), WHERE)
    assert problems == []
    assert [x.item.id for x in items] == ["eq-1", "eq-2"]
    first = items[0].item
    assert first.prompt == "Maya: fill in 1/2 = ?/6"
    assert first.hints == ("Multiply by 3.",)
    assert first.solution == "1/2 = 3/6"
    assert first.family == "eq"
    assert items[1].location.path == "templates[0].params[1]"
    assert items[1].location.id == "eq-2"


def test_formats_and_literal_params() -> None:
    t = template(
        prompt="{p} {x} {x*2} {x:mixed} {x:dec} {x:money} {x:dec2} {{literal}}",
        let={"x": "7/4"},
        params=[{"p": "2.50"}],
        hints=[],
        solution=None,
        answer={"value": "{x}"},
    )
    items, problems = expand_template(t, WHERE)
    assert problems == []
    assert items[0].item.prompt == "2.50 7/4 7/2 1 3/4 1.75 1.75 1.75 {literal}"


def test_generate_is_seeded_distinct_and_filtered() -> None:
    gen = {"seed": 7, "count": 6, "ranges": {"a": [1, 9], "b": [2, 9]}, "where": ["a < b"]}
    t = template(
        prompt="Simplify {a}/{b}.",
        answer={"value": "{a/b}"},
        hints=[],
        solution=None,
        generate=gen,
        params=None,
        type="fraction",
    )
    first, problems = expand_template(t, WHERE)
    again, _ = expand_template(t, WHERE)
    assert problems == [] and len(first) == 6
    assert [x.item.prompt for x in first] == [x.item.prompt for x in again]
    assert len({x.item.prompt for x in first}) == 6
    for x in first:
        a, b = map(int, x.item.prompt.removeprefix("Simplify ").rstrip(".").split("/"))
        assert a < b
    assert first[2].location.path == "templates[0].generate[2]"


def test_generate_reports_when_too_few_sets_exist() -> None:
    gen = {"seed": 1, "count": 5, "ranges": {"a": [1, 2]}}
    t = template(
        prompt="{a}", answer={"value": "{a}"}, hints=[], solution=None, generate=gen, params=None
    )
    items, problems = expand_template(t, WHERE)
    assert items == [] and "found only 2 of 5" in problems[0].message


def test_pick_lists_supply_text() -> None:
    gen = {"seed": 3, "count": 2, "ranges": {"n": [2, 3]}, "pick": {"who": ["Ana", "Ben"]}}
    t = template(
        prompt="{who} has {n}",
        answer={"value": "{n}"},
        hints=[],
        solution=None,
        generate=gen,
        params=None,
    )
    items, problems = expand_template(t, WHERE)
    assert problems == [] and all(x.item.prompt.split()[0] in ("Ana", "Ben") for x in items)


@pytest.mark.parametrize(
    ("overrides", "path", "says"),
    [
        ({"prompt": "{a + }"}, "templates[0].prompt", "expected a number"),
        ({"prompt": "{zz}"}, "templates[0].prompt", "unknown name(s) zz"),
        ({"hints": ["{a"]}, "templates[0].hints[0]", "unmatched '{'"),
        ({"prompt": "{a:weird}"}, "templates[0].prompt", "unknown format"),
        ({"let": {"c": "a +"}}, "templates[0].let.c", "expected a number"),
    ],
)
def test_template_problems_are_reported_once_at_the_template_field(
    overrides: dict[str, Any], path: str, says: str
) -> None:
    items, problems = expand_template(template(**overrides), WHERE)
    assert items == []
    assert len(problems) == 1
    assert problems[0].location.path == path and says in problems[0].message


def test_per_set_problems_name_the_set_and_expanded_id() -> None:
    t = template(
        answer={"value": "{a/(b-2)}"},
        params=[{"name": "A", "a": 1, "b": 3, "k": 1}, {"name": "B", "a": 1, "b": 2, "k": 1}],
    )
    items, problems = expand_template(t, WHERE)
    assert [x.item.id for x in items] == ["eq-1"]
    assert str(problems[0]) == "t.yaml: templates[0].params[1] (id 'eq-2'): division by zero"


def test_text_parameters_cannot_be_used_in_arithmetic() -> None:
    _, problems = expand_template(template(prompt="{name * 2}"), WHERE)
    assert "'name' is text" in problems[0].message


def test_identical_problems_from_many_sets_are_reported_once() -> None:
    t = template(answer={"value": "{a}", "tolerance": -1})
    _, problems = expand_template(t, WHERE)
    assert len(problems) == 1
    assert problems[0].location.path == "templates[0].params[0].answer.tolerance"


def test_shuffle_choices_is_stable_and_keeps_the_key() -> None:
    t = template(
        type="multiple_choice",
        answer={"choices": ["{a}", "{a+1}", "{a+2}", "{a+3}"], "correct": "{a}"},
        shuffle_choices=True,
        params=[{"a": n} for n in range(1, 9)],
        prompt="Pick {a}",
        hints=[],
        solution=None,
    )
    first, problems = expand_template(t, WHERE)
    again, _ = expand_template(t, WHERE)
    assert problems == []
    orders = [x.item.answer.choices for x in first]  # type: ignore[union-attr]
    assert orders == [x.item.answer.choices for x in again]  # type: ignore[union-attr]
    positions = {o.index(x.item.answer.correct) for o, x in zip(orders, first, strict=True)}  # type: ignore[union-attr]
    assert len(positions) > 1


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"params": None}, "exactly one of 'params' or 'generate'"),
        ({"generate": {"seed": 1, "count": 2, "ranges": {"a": [1, 3]}}}, "exactly one"),
        ({"shuffle_choices": True}, "only applies to multiple_choice"),
        ({"params": [{"bad name": 1}]}, "must be letters"),
    ],
)
def test_template_structure(overrides: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        template(**overrides)


def test_templates_inside_a_curriculum(data: dict[str, Any]) -> None:
    data["templates"] = [
        {
            "id": "t",
            "skills": ["a"],
            "type": "fraction",
            "prompt": "Simplify {a*k}/{b*k}.",
            "answer": {"value": "{a}/{b}", "simplest_form": True},
            "params": [{"a": 1, "b": 2, "k": 2}, {"a": 2, "b": 3, "k": 3}],
        }
    ]
    cur = curriculum_from_data(data)
    assert [i.id for i in cur.items_for("a")] == ["i-a", "t-1", "t-2"]
    data["templates"][0]["answer"]["value"] = "{a*k}/{b*k}"
    report = validate_curriculum(data)
    assert [p.location.path for p in report.errors] == [
        "templates[0].params[0].answer",
        "templates[0].params[1].answer",
    ]
    assert "simplest form" in report.errors[0].message
    data["templates"][0]["answer"]["value"] = "{a}/{b}"
    data["templates"][0]["id"] = "i"
    data["items"][0]["id"] = "i-1"
    report = validate_curriculum(data)
    assert [str(p) for p in report.errors] == [
        "templates[0].params[0] (id 'i-1'): duplicate item id 'i-1' (first at items[0])"
    ]
