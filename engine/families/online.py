"""One student's answer-by-answer state under a `StudentModel`: O(grid) work per answer.

A new student starts from the population (its mean is where they start on
average); each answer multiplies every grid point's weight by that point's
likelihood of the answer, so after their last answer the weights are the exact
posterior the offline fit computes from all of them at once. The teacher sees
P(known) per skill: the posterior mixture of the per-point beliefs. Same steps as
`engine.families.kernels.mixture_filter` (the batch form).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.families.kernels import shifted
from engine.families.student_model import StudentModel


@dataclass(frozen=True)
class OnlineUpdate:
    p_correct: float  # before the answer
    mastery: float  # P(known) on the skill after it (before the next answer)
    shift: tuple[float, float]  # posterior mean (prior shift, learn shift) after it


@dataclass
class OnlineStudent:
    """Mutable per-student state; `update` is the only way it changes."""

    model: StudentModel
    log_weight: NDArray[np.float64] = field(init=False)
    beliefs: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.log_weight = self.model.population.log_weights()
        self._a, self._b, _ = self.model.population.arrays()

    def _weights(self) -> NDArray[np.float64]:
        w = np.exp(self.log_weight - self.log_weight.max())
        return np.asarray(w / w.sum())

    @property
    def shift(self) -> tuple[float, float]:
        w = self._weights()
        return float(w.sum(axis=1) @ self._a), float(w.sum(axis=0) @ self._b)

    def mastery(self, skill: str) -> float:
        """P(known) on `skill` now; a skill not yet practised gives the prior mixture."""
        known, _ = self._belief(skill)
        return min(float((self._weights() * known).sum()), 1.0)

    def _belief(self, skill: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if skill not in self.beliefs:
            p = self.model.skills[skill].prior
            k = np.array([[shifted(p, float(a)) for _ in self._b] for a in self._a])
            return k, 1.0 - k
        return self.beliefs[skill]

    def update(self, skill: str, correct: bool, item: str | None = None) -> OnlineUpdate:
        sp = self.model.skills[skill]
        known, unknown = self._belief(skill)
        g, s = sp.guess_for(item), sp.slip_for(item)
        w = self._weights()
        pg = np.clip(unknown * g + known * (1.0 - s), 0.0, 1.0)
        p = float(min(max((w * pg).sum(), 0.0), 1.0))
        lik = pg if correct else 1.0 - pg
        if float((w * lik).sum()) > 0.0:
            with np.errstate(divide="ignore"):
                self.log_weight = self.log_weight + np.log(lik)
        if correct:
            x0, x1 = unknown * g, known * (1.0 - s)
        else:
            x0, x1 = unknown * (1.0 - g), known * s
        den = x0 + x1
        ok = den > 0.0
        x0 = np.where(ok, x0 / np.where(ok, den, 1.0), unknown)
        x1 = np.where(ok, x1 / np.where(ok, den, 1.0), known)
        lrn = np.array([[shifted(sp.learn, float(b)) for b in self._b] for _ in self._a])
        fgt = sp.forget
        unknown = (1.0 - lrn) * x0 + fgt * x1
        known = lrn * x0 + (1.0 - fgt) * x1
        self.beliefs[skill] = (known, unknown)
        w = self._weights()
        return OnlineUpdate(
            p_correct=p, mastery=min(float((w * known).sum()), 1.0), shift=self.shift
        )
