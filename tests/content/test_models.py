"""Starting BKT values on skills and items: each model refuses values that break BKT."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from content.models import Item, ItemBkt, Skill, SkillBkt

probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def error(model: type[SkillBkt] | type[ItemBkt] | type[Item], data: Any) -> tuple[str, str]:
    """(location, message) of the one validation error."""
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    errors = err.value.errors()
    assert len(errors) == 1, errors
    return ".".join(map(str, errors[0]["loc"])), errors[0]["msg"]


def choice_item(choices: int, **bkt: float) -> dict[str, Any]:
    return {
        "id": "q",
        "skills": ["a"],
        "type": "multiple_choice",
        "prompt": "Pick one.",
        "answer": {"choices": [f"c{n}" for n in range(choices)], "correct": "c0"},
        "bkt": bkt,
    }


@pytest.mark.parametrize(
    ("data", "where", "says"),
    [
        ({"prior": 0}, "prior", "strictly between 0 and 1, got 0"),
        ({"learn": 1.0}, "learn", "strictly between 0 and 1, got 1"),
        ({"forget": 1.5}, "forget", "probability in [0, 1], got 1.5"),
        ({"guess": -0.1}, "guess", "probability in [0, 1], got -0.1"),
        ({"guess": 0.6}, "guess", "at most 0.5"),
        ({"slip": 0.55}, "slip", "at most 0.5"),
        ({"guess": 0.5, "slip": 0.5}, "guess", "below 1 - slip = 0.5"),
        ({"learn": True}, "learn", "got True"),
        ({"prior": "often"}, "prior", "valid number"),
        ({"prior": float("nan")}, "prior", "finite"),
        ({"gues": 0.2}, "gues", "Extra inputs"),
    ],
)
def test_skill_values_out_of_range_are_refused(data: dict[str, Any], where: str, says: str) -> None:
    loc, msg = error(SkillBkt, data)
    assert loc == where and says in msg, (loc, msg)


def test_skill_values_may_be_left_out_and_are_reported_as_declared() -> None:
    bkt = SkillBkt.model_validate({"prior": 0.4, "slip": 0.05})
    assert bkt.declared() == {"prior": 0.4, "slip": 0.05}
    assert SkillBkt().declared() == {}
    skill = Skill.model_validate({"id": "s", "name": "S", "grade_band": "5", "bkt": {"learn": 0.2}})
    assert skill.bkt is not None and skill.bkt.learn == 0.2
    assert Skill.model_validate({"id": "s", "name": "S", "grade_band": "5"}).bkt is None


@given(guess=probabilities, slip=probabilities)
def test_a_skill_pair_is_accepted_exactly_when_a_right_answer_raises_mastery(
    guess: float, slip: float
) -> None:
    sound = guess <= 0.5 and slip <= 0.5 and guess < 1.0 - slip
    try:
        SkillBkt(guess=guess, slip=slip)
    except ValidationError:
        assert not sound
    else:
        assert sound


@given(guess=probabilities, slip=probabilities)
def test_an_item_pair_needs_only_guess_below_one_minus_slip(guess: float, slip: float) -> None:
    try:
        ItemBkt(guess=guess, slip=slip)
    except ValidationError as e:
        assert guess >= 1.0 - slip
        assert e.errors()[0]["loc"] == ("guess",)
    else:
        assert guess < 1.0 - slip


def test_item_guess_above_one_half_is_allowed_but_not_beyond_one_minus_slip() -> None:
    assert ItemBkt(guess=0.8).guess == 0.8
    loc, msg = error(ItemBkt, {"guess": 0.9, "slip": 0.1})
    assert loc == "guess" and "guess 0.9 must be below 1 - slip = 0.9 (slip 0.1)" in msg
    loc, msg = error(ItemBkt, {"slip": 1.2})
    assert loc == "slip" and "got 1.2" in msg


@pytest.mark.parametrize("choices", [2, 3, 4, 5])
def test_multiple_choice_guess_floor_is_one_over_the_choices(choices: int) -> None:
    item = Item.model_validate(choice_item(choices))
    assert item.guess_floor == pytest.approx(1 / choices)
    assert Item.model_validate(choice_item(choices, guess=1 / choices)).bkt is not None
    loc, msg = error(Item, choice_item(choices, guess=1 / choices - 0.01))
    assert loc == "bkt.guess"
    assert f"is below 1/{choices} = {1 / choices:.3g}" in msg and f"{choices} choices" in msg


def test_only_multiple_choice_items_have_a_floor() -> None:
    item = Item.model_validate(
        {
            "id": "n",
            "skills": ["a"],
            "type": "numeric",
            "prompt": "1 + 1?",
            "answer": {"value": 2},
            "bkt": {"guess": 0.01},
        }
    )
    assert item.guess_floor is None and item.bkt is not None and item.bkt.guess == 0.01


def test_item_bkt_unknown_key() -> None:
    loc, msg = error(Item, choice_item(3, learn=0.2))
    assert loc == "bkt.learn" and "Extra inputs" in msg
