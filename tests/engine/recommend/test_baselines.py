from collections.abc import Mapping

import numpy as np
import pytest

from engine.params import SkillParams
from engine.recommend import Recommender, RecommenderSettings, SkillGraph, StudentState
from engine.recommend.baselines import (
    FixedOrder,
    MasteryLearning,
    Policy,
    RandomPolicy,
    RecommenderPolicy,
    ThreeInARow,
    goal_skills,
)
from tests.engine.recommend.graphs import chain, diamond, params_for


def play(
    policy: Policy, graph: SkillGraph, params: Mapping[str, SkillParams], answers: list[bool]
) -> list[str]:
    state = StudentState()
    skills = []
    for a in answers:
        item = policy.next_item(state)
        skill = graph.skill_of(item)
        skills.append(skill)
        state.record(skill, item, a, params[skill])
    return skills


def test_fixed_order_gives_each_skill_its_quota_then_starts_over() -> None:
    g = chain()
    seq = play(FixedOrder(g, items_per_skill=2), g, params_for(g), [True] * 8)
    assert seq == ["A", "A", "B", "B", "C", "C", "A", "A"]
    with pytest.raises(ValueError, match="items_per_skill"):
        FixedOrder(g, items_per_skill=0)


def test_mastery_learning_moves_on_only_at_the_threshold() -> None:
    g = chain()
    params = params_for(g)
    policy = MasteryLearning(g, params)
    state = StudentState()
    order: list[str] = []
    for _ in range(30):
        item = policy.next_item(state)
        skill = g.skill_of(item)
        if order and skill != order[-1]:
            assert state.mastery(order[-1], params[order[-1]]) >= 0.95
        order.append(skill)
        state.record(skill, item, True, params[skill])
    assert order[0] == "A" and "C" in order
    assert [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s][:3] == ["A", "B", "C"]
    # With everything mastered: mixed review, least recently practised first.
    assert g.skill_of(policy.next_item(state)) == "A"


def test_mastery_learning_takes_per_skill_thresholds() -> None:
    g = chain()
    params = params_for(g)
    strict = MasteryLearning(g, params, threshold=lambda s: 0.999 if s == "A" else 0.95)
    seq = play(strict, g, params, [True] * 4)
    assert seq == ["A"] * 4


def test_three_in_a_row_needs_three_consecutive_correct_answers() -> None:
    g = chain()
    seq = play(ThreeInARow(g), g, params_for(g), [True, False, True, True, True, True])
    assert seq == ["A", "A", "A", "A", "A", "B"]


def test_random_is_seeded_and_covers_the_goal() -> None:
    g = diamond()
    params = params_for(g)
    a = play(RandomPolicy(g, np.random.default_rng(3)), g, params, [False] * 60)
    b = play(RandomPolicy(g, np.random.default_rng(3)), g, params, [False] * 60)
    assert a == b and set(a) == set(g.skills)
    only = play(RandomPolicy(g, np.random.default_rng(3), goal=["B"]), g, params, [False] * 20)
    assert set(only) <= {"A", "B"}


def test_recommender_policy_takes_the_first_choice() -> None:
    g = chain()
    rec = Recommender(g, params_for(g), RecommenderSettings())
    state = StudentState()
    assert RecommenderPolicy(rec).next_item(state) == rec.recommend(state)[0].item_id


def test_goal_skills_are_the_closure_in_order_and_must_have_items() -> None:
    assert goal_skills(diamond(), ["D"]) == ("A", "B", "C", "D")
    with pytest.raises(ValueError, match="no skill"):
        goal_skills(chain(per_skill=0), None)
