from collections.abc import Callable

import numpy as np
import pytest

from benchmarks.simulate_classroom import TUTOR_MODELS, checks, describe_tutor, run
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
    fit_tutor_model,
    run_episode,
    worksheet_log,
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


def test_comparison_tutor_models_use_population_or_mixture_mean_prior() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    params = classroom.tutor_params(POPULATIONS[1])
    assert all(p.prior == pytest.approx(0.6) for p in params.values())
    assert all(p.forget == 0.0 for p in params.values())
    mixed = classroom.mixture_params(POPULATIONS)
    assert all(p.prior == pytest.approx((0.05 + 0.6 + 0.05) / 3) for p in mixed.values())
    with pytest.raises(ValueError, match="known_low"):
        Population("bad", 0.5, 0.2, 0.2)


def test_worksheet_log_answers_every_skill_in_curriculum_order() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    everyone_knows = Population("experts", 1.0, 1.0, 0.2)
    student = draw_student(classroom, everyone_knows, np.random.default_rng(1), 8)
    skills, answers = worksheet_log(classroom, everyone_knows, student, per_skill=8)
    assert skills == [s for s in g.order for _ in range(8)]
    # Known skills are answered wrongly exactly when the draw falls in the slip band.
    slips = [
        student.answer_u[g.skills.index(s), k % 8] >= 1.0 - classroom.truth[s].slip
        for k, s in enumerate(skills)
    ]
    assert [not a for a in answers] == slips
    with pytest.raises(ValueError, match="per_skill"):
        worksheet_log(classroom, everyone_knows, student, per_skill=9)


def test_fitted_tutor_model_is_one_honest_estimate_for_everybody() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    a = fit_tutor_model(classroom, POPULATIONS, 150, np.random.default_rng(3))
    b = fit_tutor_model(classroom, POPULATIONS, 150, np.random.default_rng(3))
    assert a.params == b.params and a.student_shift == b.student_shift  # seeded
    mix = float(np.mean([p.mean_known for p in POPULATIONS]))
    for s in g.skills:
        fitted, true = a.params[s], classroom.truth[s]
        assert fitted.prior == pytest.approx(mix, abs=0.1)  # the mixture, not a population
        assert fitted.guess == pytest.approx(true.guess, abs=0.06)
        assert fitted.slip == pytest.approx(true.slip, abs=0.06)
        assert fitted.forget == 0.0
    # One third of the cohort knows far more than the rest: the fitted shift is wide.
    assert a.student_shift is not None and a.student_shift.sd() > 1.0


@pytest.mark.parametrize("tutor", TUTOR_MODELS)
def test_small_benchmark_run_summarises_every_policy(tutor: str) -> None:
    rows, budget, cap = run(
        diamond(),
        students=6,
        seed=1,
        budget_per_skill=6,
        cap_per_skill=25,
        workers=1,
        tutor=tutor,
        calibration_students=60,
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


def test_policy_subset_and_tutor_description() -> None:
    rows, _, _ = run(
        diamond(),
        students=4,
        seed=2,
        budget_per_skill=6,
        cap_per_skill=25,
        workers=1,
        calibration_students=60,
        policies=("mastery_learning", "recommender"),
    )
    assert [r["policy"] for r in rows] == ["mastery_learning", "recommender"] * 3
    with pytest.raises(ValueError, match="unknown policies"):
        run(
            diamond(),
            students=1,
            seed=0,
            budget_per_skill=6,
            cap_per_skill=25,
            workers=1,
            tutor="mixture",
            policies=("nope",),
        )
    with pytest.raises(ValueError, match="tutor must be"):
        run(
            diamond(),
            students=1,
            seed=0,
            budget_per_skill=6,
            cap_per_skill=25,
            workers=1,
            tutor="oracle",
        )
    text = describe_tutor(diamond(), POPULATIONS, "fitted", 60, 0)
    assert "ONE model for all populations" in text and "fitted by EM" in text
    assert "told the student's population" in describe_tutor(
        diamond(), POPULATIONS, "population", 60, 0
    )


@pytest.mark.parametrize("seed", range(8))
def test_graph_consistent_student_knows_a_down_set_minus_its_holes(seed: int) -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    pop = Population("graph_test", 0.4, 0.8, 0.2, structure="graph", holes=0.3)
    student = draw_student(classroom, pop, np.random.default_rng(seed), CAP)
    assert student.downset is not None
    index = {s: i for i, s in enumerate(g.skills)}
    for s in g.skills:
        if student.downset[index[s]]:  # closed under prerequisites
            assert all(student.downset[index[p]] for p in g.prerequisites(s)), (seed, s)
    # Known skills lie inside the down-set; the rest of it are the holes.
    assert not (student.known & ~student.downset).any(), seed
    no_holes = draw_student(
        classroom,
        Population("graph_test", 0.4, 0.8, 0.2, structure="graph", holes=0.0),
        np.random.default_rng(seed),
        CAP,
    )
    np.testing.assert_array_equal(no_holes.known, student.downset)


def test_independent_student_has_no_down_set() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    assert draw_student(classroom, POPULATIONS[1], np.random.default_rng(1), CAP).downset is None
