import numpy as np
import pytest

from benchmarks.policy_bound import (
    INFORMED_CLASSES,
    Knowledge,
    StateBelief,
    format_rows,
    population_family,
    run,
    student_share,
)
from engine.recommend.baselines import RandomPolicy
from engine.recommend.sim import (
    GRAPH_POPULATIONS,
    POPULATIONS,
    Classroom,
    TrueState,
    draw_student,
    run_episode,
)
from tests.engine.recommend.graphs import diamond

SWISS = POPULATIONS[1]
CAP = 300


def knowledge(seed: int = 0) -> tuple[Classroom, Knowledge]:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    know = Knowledge(g, classroom, 0.5, 1.0, SWISS.prerequisite_factor)
    return classroom, know


def test_student_share_is_the_share_draw_student_used() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    for i in range(5):
        share = student_share(3, 1, i, SWISS)
        student = draw_student(classroom, SWISS, np.random.default_rng([3, 1, i]), 10)
        rng = np.random.default_rng([3, 1, i])
        rng.uniform(SWISS.known_low, SWISS.known_high)
        assert SWISS.known_low <= share <= SWISS.known_high
        np.testing.assert_array_equal(student.known, rng.random(len(g.skills)) < share)


def test_belief_untouched_skills_keep_the_prior_and_failures_lower_prerequisites() -> None:
    _, know = knowledge()
    b = StateBelief(know, beam=256)
    np.testing.assert_allclose(b.marginals(), 0.5)
    d = know.index["D"]
    for _ in range(8):
        b.observe(d, False)
    m = b.marginals()
    assert m[d] < 0.2
    # D learns 5x slower per missing prerequisite: eight failures say B and C are likelier
    # unknown than the prior, and say nothing about the unrelated E.
    assert m[know.index["B"]] < 0.5 and m[know.index["C"]] < 0.5
    assert m[know.index["E"]] == pytest.approx(0.5)
    assert float(b.w.sum()) == pytest.approx(1.0)


def test_told_start_belief_is_certain_until_practice() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    start = np.array([True, False, True, False, True])
    b = StateBelief(Knowledge(g, classroom, 0.5, 1.0, 0.2, start), beam=64)
    np.testing.assert_allclose(b.marginals(), start.astype(float))
    b.observe(1, False)  # B, unknown: only its chance of having been learnt is uncertain
    m = b.marginals()
    assert 0.0 < m[1] < 0.5
    np.testing.assert_allclose(np.delete(m, 1), np.delete(start.astype(float), 1))


def test_belief_projection_factors_out_old_skills_with_their_marginal() -> None:
    _, know = knowledge()
    big, small = StateBelief(know, beam=1 << 12), StateBelief(know, beam=4)
    answers = [("E", True), ("E", False), ("A", True), ("B", False), ("D", False)]
    answers += [("C", True), ("D", False), ("A", True)]
    for skill, correct in answers:
        big.observe(know.index[skill], correct)
        small.observe(know.index[skill], correct)
    # E is independent of the rest: once it leaves the recent skills it is factored out
    # of the joint with its exact marginal; the joint stays within the beam.
    e = know.index["E"]
    assert big.touched[e] and not small.touched[e]
    assert small.w.size <= 4 < big.w.size
    assert float(small.marginals()[e]) == pytest.approx(float(big.marginals()[e]), abs=1e-9)
    assert float(small.w.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("told", [False, True])
@pytest.mark.parametrize("name", ["informed_mastery", "informed_deferred", "informed_useful"])
def test_informed_policies_beat_random(name: str, told: bool) -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    mine, rand = [], []
    for i in range(30):
        student = draw_student(classroom, SWISS, np.random.default_rng([5, 1, i]), CAP)
        share = student_share(5, 1, i, SWISS)
        start = student.known if told else None
        know = Knowledge(g, classroom, share, student.ability, SWISS.prerequisite_factor, start)
        params = classroom.mixture_params(POPULATIONS)
        truth = TrueState(g, student.known)
        policy = INFORMED_CLASSES[name](g, know, 256)
        mine.append(run_episode(classroom, SWISS, student, policy, params, truth, cap=CAP).attempts)
        truth = TrueState(g, student.known)
        other = RandomPolicy(g, np.random.default_rng([5, i]))
        rand.append(run_episode(classroom, SWISS, student, other, params, truth, cap=CAP).attempts)
    assert np.mean(mine) < 0.8 * np.mean(rand)


def test_format_rows_reports_saving_against_mastery_learning() -> None:
    rows = [
        {
            "policy": name,
            "mean_attempts": float(np.mean(a)),
            "ci_low": 0.0,
            "ci_high": 0.0,
            "pct_mastered_in_budget": 50.0,
            "overpractice_pct": 10.0,
            "per_student": np.array(a, dtype=float),
        }
        for name, a in (("mastery_learning", [100, 100]), ("informed_mastery", [50, 50]))
    ]
    text = format_rows(rows, 0)
    assert "+50.0%" in text


def test_told_downset_belief_starts_at_the_hole_rate_inside_the_down_set() -> None:
    g = diamond()
    classroom = Classroom.draw(g, np.random.default_rng(0))
    half = GRAPH_POPULATIONS[0]
    student = draw_student(classroom, half, np.random.default_rng([0, 0, 3]), CAP)
    assert student.downset is not None
    prior = np.where(student.downset, 1.0 - half.holes, 0.0)
    know = Knowledge(g, classroom, 0.5, 1.0, half.prerequisite_factor, prior=prior)
    np.testing.assert_allclose(StateBelief(know, beam=64).marginals(), prior)


def test_population_family_and_told_downset_needs_a_graph_population() -> None:
    assert population_family("graph_half") is GRAPH_POPULATIONS
    assert population_family("swiss_cheese") is POPULATIONS
    with pytest.raises(ValueError, match="unknown population"):
        population_family("nobody")
    thresholds = {s: 0.95 for s in diamond().skills}
    with pytest.raises(ValueError, match="graph-consistent"):
        run(diamond(), thresholds, students=1, seed=0, policies=["told_downset_mastery"])
    rows, _ = run(
        diamond(),
        thresholds,
        students=3,
        seed=0,
        population="graph_half",
        policies=["mastery_learning", "told_downset_mastery", "told_start_mastery"],
    )
    assert [r["policy"] for r in rows] == [
        "mastery_learning",
        "told_downset_mastery",
        "told_start_mastery",
    ]
