"""Starting parameters from the curriculum: known answers, the difficulty rule, invariants."""

from __future__ import annotations

import copy
import math
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import Curriculum, curriculum_from_data, load_curriculum, sample_curriculum_path
from content.cold_start import (
    DEFAULT_STARTING,
    DIFFICULTY_SHIFT,
    SOURCE,
    guess_floors,
    item_guess_slip,
    shift_logit,
    skill_starting,
    starting_params,
)
from content.models import Difficulty, Item, Skill
from engine.params import ModelParams, SkillParams
from engine.report import degeneracy_reasons
from tests.content.conftest import BASE


@cache
def sample() -> Curriculum:
    return load_curriculum(sample_curriculum_path())


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def item(kind: str = "numeric", difficulty: str | None = None, **bkt: float) -> Item:
    answer: dict[str, Any] = {"value": 2}
    if kind == "multiple_choice":
        answer = {"choices": ["a", "b", "c", "d"], "correct": "a"}
    return Item.model_validate(
        {
            "id": "q",
            "skills": ["s"],
            "type": kind,
            "prompt": "?",
            "answer": answer,
            "difficulty": difficulty,
            "bkt": bkt or None,
        }
    )


def test_shift_logit_known_answers() -> None:
    assert shift_logit(0.5, 0.4) == pytest.approx(1 / (1 + math.exp(-0.4)))
    assert shift_logit(0.2, 0.0) == 0.2
    assert logit(shift_logit(0.2, -0.4)) == pytest.approx(logit(0.2) - 0.4)
    assert (shift_logit(0.0, 0.4), shift_logit(1.0, -0.4)) == (0.0, 1.0)
    assert 0.0 < shift_logit(1e-300, 0.4) < 1e-299  # tiny values neither overflow nor vanish


def test_guess_floors_known_answers() -> None:
    floors = guess_floors(curriculum_from_data(BASE).items)
    assert floors == {"i-c": pytest.approx(1 / 3)}


@pytest.mark.parametrize(
    ("difficulty", "by"), [("easy", 0.4), ("medium", 0.0), ("hard", -0.4), (None, 0.0)]
)
def test_difficulty_rule(difficulty: Difficulty | None, by: float) -> None:
    guess, slip = item_guess_slip(item(difficulty=difficulty), 0.2, 0.1)
    assert logit(guess) == pytest.approx(logit(0.2) + by)
    assert logit(slip) == pytest.approx(logit(0.1) - by)
    assert DIFFICULTY_SHIFT[difficulty or "medium"] == by


def test_easy_items_are_guessed_more_and_slipped_less_hard_the_opposite() -> None:
    easy = item_guess_slip(item(difficulty="easy"), 0.2, 0.1)
    hard = item_guess_slip(item(difficulty="hard"), 0.2, 0.1)
    assert hard[0] < 0.2 < easy[0]
    assert easy[1] < 0.1 < hard[1]


def test_declared_values_win_and_the_floor_comes_last() -> None:
    assert item_guess_slip(item(difficulty="easy", guess=0.05), 0.2, 0.1)[0] == 0.05
    guess, slip = item_guess_slip(item(difficulty="hard", slip=0.3), 0.2, 0.1)
    assert slip == 0.3 and guess == pytest.approx(shift_logit(0.2, -0.4))
    assert item_guess_slip(item("multiple_choice", "hard"), 0.3, 0.1)[0] == 0.25
    assert item_guess_slip(item("multiple_choice", "easy"), 0.3, 0.1)[0] > 0.3


def test_skill_values_fall_back_field_by_field() -> None:
    skill = Skill.model_validate(
        {"id": "s", "name": "S", "grade_band": "4", "bkt": {"prior": 0.6, "slip": 0.05}}
    )
    p = skill_starting(skill)
    assert (p.prior, p.learn, p.guess, p.slip, p.forget) == (0.6, 0.15, 0.2, 0.05, 0.0)
    other = SkillParams(prior=0.1, learn=0.3, guess=0.1, slip=0.2, forget=0.02)
    q = skill_starting(skill, other)
    assert (q.prior, q.learn, q.guess, q.slip, q.forget) == (0.6, 0.3, 0.1, 0.05, 0.02)


def test_starting_params_on_the_mini_curriculum() -> None:
    data = copy.deepcopy(BASE)
    data["defaults"] = {"bkt": {"guess": 0.1}}
    data["skills"][1]["bkt"] = {"prior": 0.5}
    data["items"][3]["difficulty"] = "hard"
    cur = curriculum_from_data(data)
    params = starting_params(cur.skills, cur.items)
    assert isinstance(params, ModelParams) and set(params.skills) == {"a", "b", "c"}
    assert params["b"].prior == 0.5 and params["a"].prior == DEFAULT_STARTING.prior
    assert all(params[s].guess == 0.1 for s in "abc")
    a = params["a"]  # i-a is easy
    assert a.item_guess["i-a"] == pytest.approx(shift_logit(0.1, 0.4))
    assert a.item_slip["i-a"] == pytest.approx(shift_logit(0.1, -0.4))
    assert params["b"].item_guess.keys() == {"i-bc"} and "i-b" not in params["b"].item_slip
    assert params["c"].item_guess["i-c"] == pytest.approx(1 / 3)
    assert "i-c" not in params["c"].item_slip  # untagged: only the floor differs
    for sid in "bc":  # the two-skill item has entries under each skill
        assert params[sid].item_slip["i-bc"] == pytest.approx(shift_logit(0.1, 0.4))
    assert params.multigs and not params.forgets
    assert params.metadata["source"] == SOURCE
    assert params.metadata["fallback"]["prior"] == DEFAULT_STARTING.prior
    assert ModelParams.from_json_dict(params.to_json_dict()) == params  # saves as JSON


def test_unknown_skills_are_skipped_and_a_degenerate_fallback_refused() -> None:
    cur = curriculum_from_data(BASE)
    params = starting_params(cur.skills[:1], cur.items)
    assert list(params.skills) == ["a"]
    bad = SkillParams(prior=0.3, learn=0.1, guess=0.5, slip=0.6)
    with pytest.raises(ValueError, match=r"skill 'a': starting guess 0\.5 is not below 1 - slip"):
        starting_params(cur.skills, cur.items, fallback=bad)


def test_rebuilt_from_stored_definitions_gives_the_same_params() -> None:
    cur = sample()
    skills = [Skill.model_validate(s.model_dump(mode="json")) for s in cur.skills]
    items = [Item.model_validate(i.model_dump(mode="json")) for i in cur.items]
    assert starting_params(skills, items) == starting_params(cur.skills, cur.items)


def test_sample_starting_params_cover_every_skill_and_are_sound() -> None:
    cur = sample()
    params = starting_params(cur.skills, cur.items)
    assert set(params.skills) == {s.id for s in cur.skills}
    floors = guess_floors(cur.items)
    assert len(floors) == sum(i.type == "multiple_choice" for i in cur.items) > 0
    for it in cur.items:
        for sid in it.skills:
            p = params[sid]
            if it.id in floors:
                assert p.guess_for(it.id) >= floors[it.id] - 1e-12, it.id
            g, s = p.guess_for(it.id), p.slip_for(it.id)
            assert 0.0 <= g < 1.0 - s <= 1.0, it.id
    for sid, p in params.skills.items():
        assert degeneracy_reasons(p) == (), sid


def test_sample_difficulty_shifts_go_the_documented_way() -> None:
    cur = sample()
    params = starting_params(cur.skills, cur.items)
    checked = {"easy": 0, "hard": 0}
    for it in cur.items:
        if it.difficulty not in checked or it.bkt is not None or it.type == "multiple_choice":
            continue
        p = params[it.skills[0]]
        guess, slip = p.guess_for(it.id), p.slip_for(it.id)
        if it.difficulty == "easy":
            assert guess > p.guess and slip < p.slip, it.id
        else:
            assert guess < p.guess and slip > p.slip, it.id
        checked[it.difficulty] += 1
    assert min(checked.values()) >= 20, checked


def test_sample_declares_values_for_every_skill() -> None:
    for s in sample().skills:
        assert s.bkt is not None, s.id
        assert set(s.bkt.declared()) == {"prior", "learn", "guess", "slip", "forget"}, s.id


unit = st.floats(min_value=0.01, max_value=0.99, allow_nan=False)
rate = st.floats(min_value=0.0, max_value=0.5, allow_nan=False)


@given(
    prior=unit,
    learn=unit,
    guess=rate,
    slip=st.floats(min_value=0.0, max_value=0.45, allow_nan=False),
    item_guess=st.none() | st.floats(0.34, 0.5),
    item_slip=st.none() | st.floats(0.0, 0.15),
)
def test_declared_values_always_give_probabilities_and_sound_items(
    prior: float,
    learn: float,
    guess: float,
    slip: float,
    item_guess: float | None,
    item_slip: float | None,
) -> None:
    data = copy.deepcopy(BASE)
    data["defaults"] = {"bkt": {"prior": prior, "learn": learn, "guess": guess, "slip": slip}}
    data["items"][2]["bkt"] = {"guess": item_guess, "slip": item_slip}
    data["items"][0]["difficulty"] = "hard"
    cur = curriculum_from_data(data)  # valid: every guess <= 0.5 < 1 - any slip
    params = starting_params(cur.skills, cur.items)
    for p in params.skills.values():
        values = [p.prior, p.learn, p.guess, p.slip, *p.item_guess.values(), *p.item_slip.values()]
        assert all(0.0 <= v <= 1.0 for v in values)
        assert (p.prior, p.learn, p.guess, p.slip) == (prior, learn, guess, slip)
        for it in [None, *p.item_guess, *p.item_slip]:
            assert p.guess_for(it) < 1.0 - p.slip_for(it)
    assert params["c"].guess_for("i-c") >= 1 / 3
