"""evaluate() scores exactly the per-sequence traces, and drops (and counts) unfitted skills."""

from __future__ import annotations

import itertools
import math

import numpy as np

from engine.evaluate import evaluate, evaluate_by_skill, predictions
from engine.metrics import compute
from engine.params import ModelParams, SkillParams
from engine.responses import Responses
from engine.trace import trace


def random_responses(rng: np.random.Generator, n: int = 400) -> Responses:
    return Responses.from_columns(
        correct=rng.integers(0, 2, n),
        skill=rng.choice(["add", "mul", "sub"], n),
        student=rng.choice([f"s{i}" for i in range(12)], n),
    )


def random_params(rng: np.random.Generator, skills: list[str]) -> ModelParams:
    return ModelParams(
        skills={
            s: SkillParams(
                prior=rng.uniform(0.1, 0.9),
                learn=rng.uniform(0.05, 0.4),
                guess=rng.uniform(0.05, 0.3),
                slip=rng.uniform(0.05, 0.3),
            )
            for s in skills
        }
    )


def traced(params: ModelParams, r: Responses) -> np.ndarray:
    """Reference predictions: engine.trace over each (skill, student) sequence."""
    out = np.full(len(r), np.nan)
    starts = r.sequence_starts()
    for a, b in itertools.pairwise(starts):
        name = r.skills[r.skill[a]]
        if name in params:
            out[a:b] = trace(params[name], r.correct[a:b]).p_correct
    return out


def test_evaluate_scores_the_traced_predictions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = random_responses(rng)
    params = random_params(rng, ["add", "mul", "sub"])
    expected = traced(params, r)
    np.testing.assert_allclose(predictions(params, r), expected, rtol=0, atol=1e-12)
    m = evaluate(params, r)
    ref = compute(r.correct, expected)
    assert (m.n, m.dropped) == (len(r), 0)
    for name in ("auc", "rmse", "log_loss", "accuracy"):
        assert math.isclose(getattr(m, name), getattr(ref, name), abs_tol=1e-12)


def test_unfitted_skills_are_dropped_and_counted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = random_responses(rng)
    params = random_params(rng, ["add", "mul"])
    n_sub = int((r.skill == r.skills.index("sub")).sum())
    m = evaluate(params, r)
    assert (m.n, m.dropped) == (len(r) - n_sub, n_sub)
    kept = r.skill != r.skills.index("sub")
    ref = compute(r.correct[kept], traced(params, r)[kept])
    assert math.isclose(m.auc, ref.auc, abs_tol=1e-12)

    by_skill = evaluate_by_skill(params, r)
    assert by_skill["sub"].n == 0 and by_skill["sub"].dropped == n_sub
    assert math.isnan(by_skill["sub"].auc)
    assert sum(v.n for v in by_skill.values()) == m.n
