"""BKT inference: the O(1) online update and the batch trace over a sequence.

`mastery` is always P(known) *before* the next response (after the transition
of the previous one). Both functions share `_step`, which is also the step of
the compiled batch filter (`engine.predict`), so all three agree to the bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.params import SkillParams


@dataclass(frozen=True, slots=True)
class Belief:
    """P(known) and P(unknown) carried as a pair, as pyBKT's forward messages are.

    A single float P(known) rounds to exactly 1.0 after a long run of correct
    answers, and (without forgetting) no later error could ever lower it; the
    pair keeps P(unknown) at full precision. Stores that keep only mastery can
    start from `Belief.of(mastery)`.
    """

    known: float
    unknown: float

    @classmethod
    def of(cls, mastery: float) -> Belief:
        return cls(known=float(mastery), unknown=1.0 - float(mastery))


@dataclass(frozen=True, slots=True)
class Update:
    """Result of observing one response."""

    p_correct: float  # predicted P(correct) before the response was seen
    posterior: float  # P(known | this response), before the transition
    mastery: float  # P(known) before the next response (after learn/forget)
    belief: Belief  # the same as a pair: pass it to the next `update`


def predict_correct(params: SkillParams, mastery: float, item: str | None = None) -> float:
    guess = params.guess_for(item)
    slip = params.slip_for(item)
    return mastery * (1.0 - slip) + (1.0 - mastery) * guess


def _step(
    k: float, u: float, correct: bool, guess: float, slip: float, learn: float, forget: float
) -> tuple[float, float, float, float]:
    """One filter step on the pair (k, u); same operations, in the same order, as
    `engine.kernels.forward_trace`, so online, batch and vectorised agree to the bit."""
    p_correct = min(max(u * guess + k * (1.0 - slip), 0.0), 1.0)  # u + k may be 1 + 1 ulp
    if correct:
        x0 = u * guess
        x1 = k * (1.0 - slip)
    else:
        x0 = u * (1.0 - guess)
        x1 = k * slip
    den = x0 + x1
    # den == 0 only when the observation was impossible under the model; keep the belief.
    if den > 0.0:
        x0 /= den
        x1 /= den
    else:
        x0, x1 = u, k
    return p_correct, x1, learn * x0 + (1.0 - forget) * x1, (1.0 - learn) * x0 + forget * x1


def update(
    params: SkillParams, belief: float | Belief, correct: bool, item: str | None = None
) -> Update:
    """Observe one response to `item` given the current belief (or mastery); O(1)."""
    b = belief if isinstance(belief, Belief) else Belief.of(belief)
    p, post, k, u = _step(
        b.known,
        b.unknown,
        bool(correct),
        params.guess_for(item),
        params.slip_for(item),
        params.learn_for(item),
        params.forget_for(item),
    )
    return Update(p_correct=p, posterior=post, mastery=k, belief=Belief(known=k, unknown=u))


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
    k, u = m, 1.0 - m
    for t in range(n):
        item = items[t] if items is not None else None
        p, post, k, u = _step(
            k,
            u,
            bool(obs[t]),
            params.guess_for(item),
            params.slip_for(item),
            params.learn_for(item),
            params.forget_for(item),
        )
        out_p[t] = p
        out_post[t] = post
        out_m[t] = k
    return Trace(p_correct=out_p, posterior=out_post, mastery=out_m)
