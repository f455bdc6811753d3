"""Student-ability / item-difficulty families: recovery, EM monotonicity, online = offline."""

from __future__ import annotations

import numpy as np
import pytest

from engine.families.online import OnlineStudent
from engine.families.simulate import Simulated, simulate_students
from engine.families.student_fit import StudentFitter
from engine.params import ModelParams, SkillParams

TRUE = {
    f"k{i}": SkillParams(
        prior=0.3 + 0.15 * i,
        learn=0.15,
        guess=0.2,
        slip=0.1,
        forget=0.02,
        item_guess={f"k{i}-{j}": 0.1 + 0.1 * j for j in range(4)},
        item_slip={f"k{i}-{j}": 0.05 + 0.05 * j for j in range(4)},
    )
    for i in range(3)
}
PRIOR_SD, LEARN_SD = 1.2, 0.6


@pytest.fixture(scope="module")
def sim() -> Simulated:
    model = ModelParams(skills=TRUE, forgets=True, multigs=True)
    return simulate_students(
        model, 240, 15, np.random.default_rng(7), prior_sd=PRIOR_SD, learn_sd=LEARN_SD
    )


@pytest.fixture(scope="module")
def full(sim: Simulated) -> StudentFitter:
    return StudentFitter(items=True, random_state=0, max_iter=60).fit(sim.responses)


def test_recovers_population_students_skills_and_items(sim: Simulated, full: StudentFitter) -> None:
    """Tolerances for 240 students x 3 skills x 15 answers (10,800 responses): population
    sd within 0.3 logits of the truth, students' prior-shift estimates correlated > 0.5
    with their true shifts (3 skills say only so much about one student), skill learn
    within 0.07 and forget within 0.03, prior within 0.15 (it trades off against the
    population's mean), item guess within 0.12 and slip within 0.07 of the truth."""
    pop = full.params_.population
    sd_a, sd_b = pop.sd()
    assert abs(sd_a - PRIOR_SD) < 0.3 and abs(sd_b - LEARN_SD) < 0.3, pop.sd()
    est = np.array([full.params_.students[n][0] for n in sim.responses.students])
    assert np.corrcoef(est, sim.prior_shift)[0, 1] > 0.5
    for name, true in TRUE.items():
        got = full.params_.skills[name]
        assert abs(got.learn - true.learn) < 0.07, (name, got.learn)
        assert abs(got.forget - true.forget) < 0.03, (name, got.forget)
        assert abs(got.prior - true.prior) < 0.15, (name, got.prior)
        for item, g in true.item_guess.items():
            assert abs(got.item_guess[item] - g) < 0.12, (item, got.item_guess[item], g)
            assert abs(got.item_slip[item] - true.item_slip[item]) < 0.07, item
    # item difficulty is ordered as simulated
    for name, true in TRUE.items():
        got = full.params_.skills[name]
        order = sorted(true.item_guess, key=lambda i: got.item_guess[i])
        assert order[0] == f"{name}-0" and order[-1] == f"{name}-3"


def test_log_likelihood_never_decreases_without_item_shrinkage(sim: Simulated) -> None:
    """Plain EM (no data-dependent item centres): each M-step is exact or an ascent step,
    so the data log-likelihood does not fall; the tolerance is the weighted pass's pruning
    of grid points with posterior < 1e-6."""
    for items, strength in ((False, 10.0), (True, 0.0)):
        f = StudentFitter(items=items, item_strength=strength, max_iter=25, tol=0.0)
        f.fit(sim.responses)
        steps = np.diff(f.history_)
        assert f.history_.shape[0] == 26
        assert steps.min() > -1e-6 * abs(f.history_[-1]), steps.min()
        assert f.history_[-1] > f.history_[0]


def test_online_shift_converges_to_the_offline_one(sim: Simulated, full: StudentFitter) -> None:
    """Online, a student's grid posterior after their last answer is the offline posterior
    (exact Bayes on the same grid); on the way, the estimate approaches it."""
    model = full.params_
    r = sim.responses
    assert r.position is not None
    order = np.argsort(r.position, kind="stable")
    for name in r.students[:12]:
        code = r.students.index(name)
        rows = order[r.student[order] == code]
        st = OnlineStudent(model)
        assert st.shift == pytest.approx(model.population.mean(), abs=1e-12)
        errors = []
        offline = np.array(model.students[name])
        for t in rows.tolist():
            upd = st.update(r.skills[r.skill[t]], bool(r.correct[t]), r.items[r.item[t]])
            errors.append(float(np.abs(np.array(upd.shift) - offline).max()))
        assert errors[-1] < 1e-9, errors[-1]
        assert max(errors[-5:]) <= max(errors[: len(errors) // 4]) + 1e-12


def test_batch_filter_equals_online_updates(sim: Simulated, full: StudentFitter) -> None:
    model = full.params_
    r = sim.responses.for_students(list(sim.responses.students[:5]))
    pred = model.predict_trace(r)
    assert r.position is not None
    order = np.argsort(r.position, kind="stable")
    for name in r.students[:5]:
        code = r.students.index(name)
        st = OnlineStudent(model)
        for t in order[r.student[order] == code].tolist():
            upd = st.update(r.skills[r.skill[t]], bool(r.correct[t]), r.items[r.item[t]])
            assert upd.p_correct == pytest.approx(pred.p_correct[t], abs=1e-12)
            assert upd.mastery == pytest.approx(pred.mastery[t], abs=1e-12)
        assert st.shift == pytest.approx(pred.shifts[name], abs=1e-9)


def test_student_family_predicts_better_than_plain_bkt_on_its_own_kind_of_data(
    sim: Simulated, full: StudentFitter
) -> None:
    """New students (simulated afresh) are predicted better by the fitted model than by its
    own skill terms with every student at shift 0."""
    from dataclasses import replace

    from engine.evaluate import evaluate
    from engine.families.population import Population

    model = ModelParams(skills=TRUE, forgets=True, multigs=True)
    fresh = simulate_students(model, 120, 15, np.random.default_rng(99), PRIOR_SD, LEARN_SD)
    ours = evaluate(full.params_, fresh.responses)
    at_zero = evaluate(replace(full.params_, population=Population.point()), fresh.responses)
    assert ours.log_loss < at_zero.log_loss - 2e-4
    assert ours.auc > at_zero.auc


def test_report_log_likelihoods_are_finite_and_sum_to_the_fit(full: StudentFitter) -> None:
    """Grid points dropped for a student (posterior < 1e-12) carry -inf log-likelihood and
    zero weight; the per-skill report must not turn them into NaN."""
    lls = [r.log_likelihood for r in full.report_]
    assert all(np.isfinite(lls)) and all(v < 0 for v in lls)
    assert full.report_.settings["log_likelihood"] == full.history_[-1]
