"""Batch prediction: agreement with the trace, item/class lookups, missing skills, exactness."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from engine.params import ModelParams, SkillParams
from engine.predict import predict, predict_trace
from engine.trace import trace
from tests.factories import TRUE_BKT, model, sequences, simulated


def _exact_filter(p: SkillParams, obs: list[int]) -> tuple[list[float], list[float]]:
    """The BKT forward filter in exact rational arithmetic: the reference for predict."""
    k = Fraction(p.prior)
    g, s, lr, f = Fraction(p.guess), Fraction(p.slip), Fraction(p.learn), Fraction(p.forget)
    out_p, out_m = [], []
    for o in obs:
        out_p.append(float(k * (1 - s) + (1 - k) * g))
        like_k, like_u = (1 - s, g) if o else (s, 1 - g)
        post = k * like_k / (k * like_k + (1 - k) * like_u)
        k = post * (1 - f) + (1 - post) * lr
        out_m.append(float(k))
    return out_p, out_m


def test_predict_matches_the_exact_filter_even_after_mastery_saturates() -> None:
    """30 right then 40 wrong: the exact posterior leaves mastery. A single float P(known)
    would round to 1.0 and never come back; predict and trace both carry the pair."""
    p = SkillParams(prior=0.3, learn=0.05, guess=0.2, slip=0.1)
    obs = [1] * 30 + [0] * 40
    pred = predict_trace(model({"s": p}), sequences([("s", "u", obs)]))
    exp_p, exp_m = _exact_filter(p, obs)
    np.testing.assert_allclose(pred.p_correct, exp_p, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pred.mastery, exp_m, rtol=1e-9, atol=1e-12)
    assert pred.mastery[-1] < 0.1
    np.testing.assert_array_equal(trace(p, obs).mastery, pred.mastery)


def test_predict_agrees_with_trace_per_sequence(seed: int) -> None:
    params = model(
        {"a": TRUE_BKT, "b": SkillParams(prior=0.6, learn=0.05, guess=0.3, slip=0.2, forget=0.05)}
    )
    data = simulated(params, 30, 6, seed)
    pred = predict_trace(params, data)
    starts = data.sequence_starts()
    for q in range(len(starts) - 1):
        b, e = starts[q], starts[q + 1]
        t = trace(params[data.skills[data.skill[b]]], data.correct[b:e])
        np.testing.assert_allclose(pred.p_correct[b:e], t.p_correct, rtol=0, atol=1e-12)
        np.testing.assert_allclose(pred.mastery[b:e], t.mastery, rtol=0, atol=1e-12)
    assert pred.n_missing == 0 and pred.missing_skills == ()


def test_item_and_class_parameters_are_looked_up_per_response() -> None:
    p = SkillParams(
        prior=0.3,
        learn=0.2,
        guess=0.2,
        slip=0.1,
        item_guess={"x": 0.05},
        item_slip={"y": 0.3},
        item_learn={"x": 0.5},
        item_forget={"y": 0.1},
        class_prior={"A": 0.8},
    )
    obs = [[1, 0, 1, 1], [0, 0, 1]]
    items = [["x", "y", "z", "x"], ["y", "x", "x"]]
    data = sequences([("s", "u1", obs[0]), ("s", "u2", obs[1])], items=items, classes=["A", "B"])
    got = predict(model({"s": p}), data)
    want = np.concatenate(
        [
            trace(p, obs[0], items=items[0], student_class="A").p_correct,
            trace(p, obs[1], items=items[1], student_class="B").p_correct,
        ]
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_skills_without_parameters_are_nan_and_counted() -> None:
    data = sequences([("known", "u", [1, 0, 1]), ("new", "u", [1, 1]), ("new", "v", [0])])
    pred = predict_trace(model({"known": TRUE_BKT}), data)
    new = data.skill == data.skills.index("new")
    assert np.isnan(pred.p_correct[new]).all() and np.isnan(pred.mastery[new]).all()
    assert np.isfinite(pred.p_correct[~new]).all()
    assert pred.missing_skills == ("new",) and pred.n_missing == 3


def test_first_prediction_is_the_prior_emission() -> None:
    p = SkillParams(prior=0.4, learn=0.1, guess=0.25, slip=0.05)
    got = predict(ModelParams(skills={"s": p}), sequences([("s", "u", [1, 1])]))
    assert got[0] == 0.4 * 0.95 + 0.6 * 0.25
