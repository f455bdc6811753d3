"""BKT inference: the O(1) online update and the batch trace over a sequence.

`mastery` is always P(known) *before* the next response (after the transition
of the previous one). Both functions share `_step`, so they agree to the bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.params import SkillParams


@dataclass(frozen=True, slots=True)
class Update:
    """Result of observing one response."""

    p_correct: float  # predicted P(correct) before the response was seen
    posterior: float  # P(known | this response), before the transition
    mastery: float  # P(known) before the next response (after learn/forget)


def predict_correct(params: SkillParams, mastery: float, item: str | None = None) -> float:
    guess = params.guess_for(item)
    slip = params.slip_for(item)
    return mastery * (1.0 - slip) + (1.0 - mastery) * guess


def _step(
    mastery: float, correct: bool, guess: float, slip: float, learn: float, forget: float
) -> tuple[float, float, float]:
    p_correct = mastery * (1.0 - slip) + (1.0 - mastery) * guess
    # den = num + (the other state's share), never 1 - p_correct: that rounds below
    # num when mastery is 1, and the posterior then leaves [0, 1] and diverges.
    if correct:
        num = mastery * (1.0 - slip)
        den = num + (1.0 - mastery) * guess
    else:
        num = mastery * slip
        den = num + (1.0 - mastery) * (1.0 - guess)
    # den == 0 only when the observation was impossible under the model; keep the belief.
    posterior = num / den if den > 0.0 else mastery
    nxt = posterior * (1.0 - forget) + (1.0 - posterior) * learn
    return p_correct, posterior, nxt


def update(params: SkillParams, mastery: float, correct: bool, item: str | None = None) -> Update:
    """Observe one response to `item` given current mastery; O(1)."""
    p, post, nxt = _step(
        mastery,
        bool(correct),
        params.guess_for(item),
        params.slip_for(item),
        params.learn_for(item),
        params.forget_for(item),
    )
    return Update(p_correct=p, posterior=post, mastery=nxt)


@dataclass(frozen=True)
class Trace:
    """Per-response results of a batch trace (arrays aligned with the input)."""

    p_correct: NDArray[np.float64]
    posterior: NDArray[np.float64]
    mastery: NDArray[np.float64]  # P(known) before the *next* response


def trace(
    params: SkillParams,
    correct: Sequence[int] | NDArray[np.integer],
    items: Sequence[str | None] | None = None,
    student_class: str | None = None,
    initial_mastery: float | None = None,
) -> Trace:
    """Trace one student's sequence on one skill; identical to repeated `update` calls."""
    obs = np.asarray(correct)
    n = obs.shape[0]
    if items is not None and len(items) != n:
        raise ValueError(f"items has {len(items)} entries but correct has {n}")
    out_p = np.empty(n)
    out_post = np.empty(n)
    out_m = np.empty(n)
    m = params.prior_for(student_class) if initial_mastery is None else float(initial_mastery)
    for t in range(n):
        item = items[t] if items is not None else None
        p, post, m = _step(
            m,
            bool(obs[t]),
            params.guess_for(item),
            params.slip_for(item),
            params.learn_for(item),
            params.forget_for(item),
        )
        out_p[t] = p
        out_post[t] = post
        out_m[t] = m
    return Trace(p_correct=out_p, posterior=out_post, mastery=out_m)
