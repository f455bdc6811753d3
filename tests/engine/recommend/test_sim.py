from collections.abc import Callable

import numpy as np
import pytest

from benchmarks.simulate_classroom import checks, run
from engine.recommend import Recommender, RecommenderSettings
from engine.recommend.baselines import MasteryLearning, Policy, RecommenderPolicy
from engine.recommend.sim import (
    POPULATIONS,
    Classroom,
    OraclePolicy,
    Outcome,
    Population,
    Student,
    TrueState,
    draw_student,
    run_episode,
)
from tests.engine.recommend.graphs import diamond

CAP = 300


def episode(policy_name: str, population: Population, seed: int) -> tuple[Outcome, Student]:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    params = classroom.tutor_params(population)
    student = draw_student(classroom, population, np.random.default_rng(seed), CAP)
    truth = TrueState(g, student.known)
    factories: dict[str, Callable[[], Policy]] = {
        "oracle": lambda: OraclePolicy(g, truth),
        "mastery_learning": lambda: MasteryLearning(g, params),
        "recommender": lambda: RecommenderPolicy(Recommender(g, params, RecommenderSettings())),
    }
    policy = factories[policy_name]()
    return run_episode(classroom, population, student, policy, params, truth, cap=CAP), student


@pytest.mark.parametrize("population", POPULATIONS, ids=lambda p: p.name)
@pytest.mark.parametrize("policy", ["oracle", "mastery_learning", "recommender"])
def test_episodes_are_internally_consistent(population: Population, policy: str) -> None:
    for seed in range(8):
        out, student = episode(policy, population, seed)
        assert out.unknown_at_start == int((~student.known).sum())
        assert out.attempts >= out.unknown_at_start  # each unknown skill needs an attempt
        assert 0 <= out.overpractice <= out.attempts <= CAP
        assert out.finished or out.attempts == CAP  # unfinished students count at the cap
        if policy == "oracle":
            assert out.overpractice == 0
            assert out.finished


def test_same_student_same_luck_for_every_policy() -> None:
    a, sa = episode("mastery_learning", POPULATIONS[1], 5)
    b, sb = episode("mastery_learning", POPULATIONS[1], 5)
    assert a == b and (sa.known == sb.known).all() and sa.ability == sb.ability


def test_tutor_model_uses_the_population_mean_prior() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    params = classroom.tutor_params(POPULATIONS[1])
    assert all(p.prior == pytest.approx(0.6) for p in params.values())
    assert all(p.forget == 0.0 for p in params.values())
    with pytest.raises(ValueError, match="known_low"):
        Population("bad", 0.5, 0.2, 0.2)


def test_small_benchmark_run_summarises_every_policy() -> None:
    rows, budget, cap = run(
        diamond(), students=6, seed=1, budget_per_skill=6, cap_per_skill=25, workers=1
    )
    assert (budget, cap) == (30, 125)
    assert len(rows) == 3 * 6
    for row in rows:
        assert row["ci_low"] <= row["mean_attempts"] <= row["ci_high"]
        assert 0.0 <= row["pct_mastered_in_budget"] <= 100.0
        assert 0.0 <= row["overpractice_pct"] <= 100.0
        if row["policy"] == "oracle":
            assert row["overpractice_pct"] == 0.0
    labels = [label for label, _, _ in checks(rows)]
    assert len(labels) == 4 and labels[0].startswith("swiss_cheese")
