"""The knowledge-space start model: feasible states, calibrated priors, evidence along edges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.params import SkillParams
from engine.recommend import Item, Recommender, RecommenderSettings, SkillGraph, StudentState
from engine.recommend.knowledge_space import KnowledgeSpace, build, down_sets, fit_holes
from tests.engine.recommend.graphs import chain, diamond, items_for, params_for


def test_down_sets_are_exactly_the_prerequisite_closed_sets() -> None:
    states = down_sets(chain())
    assert states is not None
    assert sorted(map(tuple, states.astype(int).tolist())) == [
        (0, 0, 0),
        (1, 0, 0),
        (1, 1, 0),
        (1, 1, 1),
    ]
    d = down_sets(diamond())
    assert d is not None
    # A, B, C, D with B, C needing A and D needing both: {}, A, AB, AC, ABC, ABCD = 6; E free
    assert d.shape == (12, 5)
    g = diamond()
    for row in d:
        known = {s for s, k in zip(g.skills, row, strict=True) if k}
        assert all(set(g.prerequisites(s)) <= known for s in known)


def test_a_graph_with_too_many_states_falls_back_to_the_profile() -> None:
    skills = [f"s{i}" for i in range(20)]  # no prerequisites: 2**20 states
    graph = SkillGraph(skills, {}, items_for(skills, 1))
    assert down_sets(graph, cap=1000) is None
    assert build(graph, params_for(graph), cap=1000) is None
    rec = Recommender(graph, params_for(graph), RecommenderSettings(knowledge_space_cap=1000))
    assert not isinstance(rec._profile, KnowledgeSpace)


def test_with_no_answers_the_priors_are_the_models() -> None:
    g = diamond()
    params = {
        s: SkillParams(prior=p, learn=0.2, guess=0.2, slip=0.1)
        for s, p in zip(g.skills, [0.8, 0.5, 0.45, 0.3, 0.6], strict=True)
    }
    space = build(g, params)
    assert space is not None
    np.testing.assert_allclose(space.marginals(), [0.8, 0.5, 0.45, 0.3, 0.6], atol=2e-3)
    view = space.evaluate(StudentState())
    np.testing.assert_allclose(view.priors, space.marginals())


def test_right_answers_on_an_advanced_skill_lift_what_it_builds_on_but_not_past_holes() -> None:
    g = chain()
    params = params_for(g, prior=0.3)
    space = build(g, params, holes=0.08, beyond=0.02)
    assert space is not None
    state = StudentState()
    for _ in range(3):
        state.record("C", "C0", True, params["C"])
    view = dict(zip(g.skills, space.evaluate(state).priors, strict=True))
    assert view["A"] > 0.7 and view["B"] > 0.7  # from 0.3
    assert view["A"] <= 1.0 - 0.08 + 1e-9  # a hole is always possible: A needs its own answer
    # and failing the basic skill lowers everything built on it
    weak = StudentState()
    for _ in range(3):
        weak.record("A", "A0", False, params["A"])
    low = dict(zip(g.skills, space.evaluate(weak).priors, strict=True))
    assert low["C"] < 0.1 and low["B"] < 0.1


@settings(max_examples=40, deadline=None)
@given(
    priors=st.lists(st.floats(0.02, 0.98), min_size=5, max_size=5),
    answers=st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=12),
    holes=st.floats(0.0, 0.3),
    beyond=st.floats(0.0, 0.1),
)
def test_calibrated_priors_and_beliefs_are_probabilities(
    priors: list[float], answers: list[tuple[int, bool]], holes: float, beyond: float
) -> None:
    g = diamond()
    params = {
        s: SkillParams(prior=p, learn=0.2, guess=0.2, slip=0.1)
        for s, p in zip(g.skills, priors, strict=True)
    }
    space = build(g, params, holes=holes, beyond=beyond)
    assert space is not None
    state = StudentState()
    for k, ok in answers:
        s = g.skills[k]
        state.record(s, f"{s}0", ok, params[s])
    view = space.evaluate(state)
    for values in (view.priors, view.own, view.learned):
        assert all(0.0 <= v <= 1.0 for v in values)
    assert all(beyond - 1e-9 <= p <= 1.0 - holes + 1e-9 for p in view.priors)


def _students(
    g: SkillGraph, params: dict[str, SkillParams], holes: float, n: int, seed: int
) -> list[StudentState]:
    """Students on a chain: a prefix known, then holes punched, five answers per skill."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        depth = int(rng.integers(0, len(g.skills) + 1))
        state = StudentState()
        for i, s in enumerate(g.skills):
            known = i < depth and rng.random() >= holes
            for _ in range(5):
                right = rng.random() < (0.9 if known else 0.2)
                state.record(s, f"{s}0", bool(right), params[s])
        out.append(state)
    return out


def test_empirical_bayes_finds_more_holes_in_a_swiss_cheese_body(seed: int) -> None:
    skills = ["A", "B", "C", "D", "E"]
    g = SkillGraph(skills, {"B": ["A"], "C": ["B"], "D": ["C"], "E": ["D"]}, items_for(skills))

    def params(holes: float) -> dict[str, SkillParams]:  # the body's true starting shares
        return {
            s: SkillParams(prior=(5 - i) / 6 * (1 - holes), learn=0.0, guess=0.2, slip=0.1)
            for i, s in enumerate(skills)
        }

    tidy = fit_holes(g, params(0.0), _students(g, params(0.0), 0.0, 150, seed))
    cheese = fit_holes(g, params(0.3), _students(g, params(0.3), 0.3, 150, seed))
    assert tidy is not None and cheese is not None
    assert cheese[0] > tidy[0], (tidy, cheese)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="beyond"):
        RecommenderSettings(holes=0.6, beyond=0.5)
    g = chain()
    states = down_sets(g)
    assert states is not None
    with pytest.raises(ValueError, match="beyond"):
        KnowledgeSpace(g, states, params_for(g), holes=0.5, beyond=0.5)


def test_skills_without_items_are_part_of_the_space() -> None:
    g = SkillGraph(["A", "B"], {"B": ["A"]}, [Item("B0", "B")])
    assert build(g, params_for(g)) is not None
