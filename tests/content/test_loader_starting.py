"""Starting BKT values in a curriculum file: located errors, defaults, templates, round trip."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import curriculum_from_data, validate_curriculum
from tests.content.conftest import BASE

TEMPLATE: dict[str, Any] = {
    "id": "t",
    "skills": ["c"],
    "type": "multiple_choice",
    "prompt": "Which is {a}/{b}?",
    "answer": {"choices": ["{a}/{b}", "{b}/{a}", "{a}/{b+1}", "{a+b}"], "correct": "{a}/{b}"},
    "params": [{"a": 1, "b": 2}, {"a": 2, "b": 3}, {"a": 3, "b": 4}],
}


def messages(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_curriculum(data).errors]


def only(data: dict[str, Any]) -> str:
    found = messages(data)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("bkt", "where", "says"),
    [
        ({"guess": 1.5}, "skills[1].bkt.guess (id 'b')", "got 1.5"),
        ({"guess": 0.7}, "skills[1].bkt.guess (id 'b')", "at most 0.5"),
        ({"prior": 1}, "skills[1].bkt.prior (id 'b')", "strictly between 0 and 1, got 1"),
        ({"learn": 0.0}, "skills[1].bkt.learn (id 'b')", "strictly between 0 and 1, got 0"),
        ({"guess": 0.5, "slip": 0.5}, "skills[1].bkt.guess (id 'b')", "below 1 - slip"),
        ({"gues": 0.2}, "skills[1].bkt.gues (id 'b')", "unknown field 'gues'"),
    ],
)
def test_skill_value_errors_are_located(
    data: dict[str, Any], bkt: dict[str, Any], where: str, says: str
) -> None:
    data["skills"][1]["bkt"] = bkt
    msg = only(data)
    assert where in msg and says in msg, msg


@pytest.mark.parametrize(
    ("index", "bkt", "where", "says"),
    [
        (2, {"guess": 0.25}, "items[2].bkt.guess (id 'i-c')", "below 1/3 = 0.333"),
        (1, {"guess": 0.9, "slip": 0.2}, "items[1].bkt.guess (id 'i-b')", "below 1 - slip = 0.8"),
        (1, {"slip": -1}, "items[1].bkt.slip (id 'i-b')", "got -1"),
        (0, {"prior": 0.3}, "items[0].bkt.prior (id 'i-a')", "unknown field 'prior'"),
    ],
)
def test_item_value_errors_are_located(
    data: dict[str, Any], index: int, bkt: dict[str, Any], where: str, says: str
) -> None:
    data["items"][index]["bkt"] = bkt
    msg = only(data)
    assert where in msg and says in msg, msg


def test_defaults_fill_what_skills_leave_out(data: dict[str, Any]) -> None:
    data["defaults"] = {"bkt": {"prior": 0.4, "learn": 0.2, "slip": 0.05}}
    data["skills"][0]["bkt"] = {"prior": 0.7}
    data["skills"][1]["bkt"] = {"learn": None, "guess": 0.25}
    cur = curriculum_from_data(data)
    a = cur.skill("a").bkt
    assert a is not None and a.declared() == {"prior": 0.7, "learn": 0.2, "slip": 0.05}
    b = cur.skill("b").bkt
    assert b is not None and (b.prior, b.learn, b.guess, b.slip) == (0.4, 0.2, 0.25, 0.05)
    c = cur.skill("c").bkt
    assert c is not None and c.declared() == {"prior": 0.4, "learn": 0.2, "slip": 0.05}


def test_without_defaults_undeclared_skills_have_no_values(data: dict[str, Any]) -> None:
    assert all(s.bkt is None for s in curriculum_from_data(data).skills)


def test_bad_defaults_are_reported_once_at_defaults(data: dict[str, Any]) -> None:
    data["defaults"] = {"bkt": {"guess": 0.9}}
    assert "defaults.bkt.guess: a skill's guess must be at most 0.5" in only(data)
    data["defaults"] = {"bkt": {"prior": 0.3}, "mastery": 0.9}
    assert "defaults.mastery: unknown field 'mastery'" in only(data)
    data["defaults"] = [0.3]
    assert "defaults: 'defaults' should be a mapping" in only(data)


def test_a_default_combined_with_a_skill_value_is_checked_at_the_skill(
    data: dict[str, Any],
) -> None:
    data["defaults"] = {"bkt": {"slip": 0.5}}
    data["skills"][2]["bkt"] = {"guess": 0.5}
    msg = only(data)
    assert "skills[2].bkt.guess (id 'c')" in msg and "1 - slip = 0.5" in msg


def test_template_values_apply_to_every_expanded_item(data: dict[str, Any]) -> None:
    data["templates"] = [{**TEMPLATE, "bkt": {"guess": 0.3, "slip": 0.05}}]
    cur = curriculum_from_data(data)
    for n in (1, 2, 3):
        bkt = cur.item(f"t-{n}").bkt
        assert bkt is not None and (bkt.guess, bkt.slip) == (0.3, 0.05)


def test_template_guess_below_its_choices_is_located_once(data: dict[str, Any]) -> None:
    data["templates"] = [{**TEMPLATE, "bkt": {"guess": 0.2}}]
    msg = only(data)
    assert "templates[0].params[0].bkt.guess (id 't-1')" in msg
    assert "guess 0.2 is below 1/4 = 0.25" in msg


@pytest.mark.parametrize(
    ("bkt", "where", "says"),
    [
        ({"guess": 2}, "templates[0].bkt.guess (id 't')", "got 2"),
        ({"guess": 0.7, "slip": 0.3}, "templates[0].bkt.guess (id 't')", "1 - slip = 0.7"),
        ({"prior": 0.3}, "templates[0].bkt.prior (id 't')", "unknown field"),
    ],
)
def test_template_value_errors_are_located(
    data: dict[str, Any], bkt: dict[str, Any], where: str, says: str
) -> None:
    data["templates"] = [{**TEMPLATE, "bkt": bkt}]
    msg = only(data)
    assert where in msg and says in msg, msg


def test_template_bkt_is_checked_even_when_the_template_is_broken(data: dict[str, Any]) -> None:
    data["templates"] = [{**TEMPLATE, "params": None, "bkt": {"slip": 3}}]
    found = "\n".join(messages(data))
    assert "templates[0].bkt.slip (id 't')" in found and "exactly one of" in found


def test_round_trip_keeps_resolved_values(data: dict[str, Any]) -> None:
    data["defaults"] = {"bkt": {"prior": 0.35, "learn": 0.12, "guess": 0.1}}
    data["skills"][2]["bkt"] = {"slip": 0.2, "forget": 0.01}
    data["items"][2]["bkt"] = {"guess": 0.4}
    data["templates"] = [{**TEMPLATE, "bkt": {"slip": 0.03}}]
    cur = curriculum_from_data(data)
    stored = cur.to_data()
    assert "defaults" not in stored
    again = curriculum_from_data(stored)
    assert again == cur
    c = again.skill("c").bkt
    assert c is not None
    assert c.declared() == {"prior": 0.35, "learn": 0.12, "guess": 0.1, "slip": 0.2, "forget": 0.01}
    assert again.item("i-c").bkt == cur.item("i-c").bkt
    t2 = again.item("t-2").bkt
    assert t2 is not None and t2.slip == 0.03


settable = st.floats(min_value=0.01, max_value=0.99, allow_nan=False)
rates = st.floats(min_value=0.0, max_value=0.49, allow_nan=False)


@given(prior=settable, learn=settable, guess=rates, slip=rates, forget=st.floats(0.0, 1.0))
def test_any_sound_declared_values_round_trip_exactly(
    prior: float, learn: float, guess: float, slip: float, forget: float
) -> None:
    data = copy.deepcopy(BASE)
    data["defaults"] = {"bkt": {"prior": prior, "learn": learn}}
    data["skills"][0]["bkt"] = {"guess": guess, "slip": slip, "forget": forget}
    cur = curriculum_from_data(data)
    again = curriculum_from_data(cur.to_data())
    a = again.skill("a").bkt
    assert a is not None
    assert a.declared() == {
        "prior": prior,
        "learn": learn,
        "guess": guess,
        "slip": slip,
        "forget": forget,
    }
