"""Beta priors for MAP estimation in the EM, and their empirical-Bayes re-estimation.

A school's first few hundred answers are too few for plain maximum likelihood:
EM then lands in corners (guess > 0.5, learn pinned at 1, the label-switched
"mastery lowers P(correct)" optimum). A Beta(a, b) prior on each parameter adds
(a - 1, b - 1) pseudo-counts to the expected counts of the M-step, which turns
EM into MAP estimation and pulls thin skills toward plausible values while
leaving data-rich skills where their data put them. Beta(1, 1) (`FLAT`) adds
nothing, so flat priors are exactly maximum likelihood (pyBKT).

`a, b >= 1` is required: below 1 the density has its mode at 0 or 1, which is the
kind of fit the priors exist to prevent, and the M-step's pseudo-counts would be
negative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.bounds import PARAM_ORDER
from engine.kernels import log_beta_pdf
from engine.params import ParamsError


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ParamsError(f"{where}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ParamsError(f"{where}: expected a finite number, got {value!r}")
    return v


@dataclass(frozen=True)
class Beta:
    """Beta(a, b) prior on one probability; MAP adds (a - 1, b - 1) pseudo-counts.

    Its mode (a - 1) / (a + b - 2) is where a skill without data lands.
    """

    a: float = 1.0
    b: float = 1.0

    def __post_init__(self) -> None:
        for name in ("a", "b"):
            v = _number(getattr(self, name), f"beta.{name}")
            if v < 1.0:
                raise ParamsError(
                    f"beta.{name}: MAP needs a, b >= 1 (below 1 the mode sits at 0 or 1), got {v!r}"
                )
            object.__setattr__(self, name, v)

    @classmethod
    def centred(cls, mean: float, strength: float) -> Beta:
        """Beta with its mode at `mean` worth `strength` pseudo-responses:
        a = 1 + mean * strength, b = 1 + (1 - mean) * strength."""
        m = _number(mean, "beta.mean")
        s = _number(strength, "beta.strength")
        if not 0.0 <= m <= 1.0:
            raise ParamsError(f"beta.mean: must be in [0, 1], got {mean!r}")
        if s < 0.0:
            raise ParamsError(f"beta.strength: must be >= 0, got {strength!r}")
        return cls(1.0 + m * s, 1.0 + (1.0 - m) * s)

    @property
    def flat(self) -> bool:
        return self.a == 1.0 and self.b == 1.0

    @property
    def strength(self) -> float:
        """Pseudo-responses added to the M-step: a + b - 2."""
        return self.a + self.b - 2.0

    @property
    def mode(self) -> float:
        """The MAP estimate without data (0.5 for the flat prior)."""
        s = self.strength
        return 0.5 if s == 0.0 else (self.a - 1.0) / s

    def log_pdf(self, x: float) -> float:
        """Log density at x; 0 everywhere for the flat prior."""
        return float(log_beta_pdf(float(x), self.a - 1.0, self.b - 1.0))

    def to_dict(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: object, where: str = "beta") -> Beta:
        if not isinstance(data, Mapping) or set(data) - {"a", "b"}:
            raise ParamsError(f"{where}: expected an object with 'a' and 'b', got {data!r}")
        try:
            return cls(data.get("a", 1.0), data.get("b", 1.0))
        except ParamsError as exc:
            raise ParamsError(f"{where}: {exc}") from None


FLAT = Beta()


@dataclass(frozen=True)
class Priors:
    """A Beta prior per BKT parameter (applied to every item/class value of it), plus
    `item_strength`: pseudo-responses pulling each guess/slip class (an item under
    `multigs`, a floor group otherwise) toward its skill's pooled value (the MAP of
    all classes' counts pooled, recomputed each M-step: a data-dependent centre, so
    with item_strength > 0 EM is a penalised fit whose log posterior may dip by a
    few thousandths of a nat between iterations; at 0 it never falls)."""

    prior: Beta = FLAT
    learn: Beta = FLAT
    guess: Beta = FLAT
    slip: Beta = FLAT
    forget: Beta = FLAT
    item_strength: float = 0.0

    def __post_init__(self) -> None:
        for name in PARAM_ORDER:
            if not isinstance(getattr(self, name), Beta):
                raise ParamsError(
                    f"priors.{name}: expected an engine.priors.Beta, "
                    f"got {type(getattr(self, name)).__name__}"
                )
        s = _number(self.item_strength, "priors.item_strength")
        if s < 0.0:
            raise ParamsError(f"priors.item_strength: must be >= 0, got {self.item_strength!r}")
        object.__setattr__(self, "item_strength", s)

    @classmethod
    def default(cls) -> Priors:
        """Small-data defaults, centred near what flat fits find on real data.

        Flat 3-restart fits of ASSISTments 2009 (123 skills) and the Cognitive Tutor
        sample (12 skills) give skill medians prior 0.66 / 0.42, learn 0.12 / 0.14,
        guess 0.17 / 0.32, slip 0.20 / 0.20. So: guess Beta centred 0.2 and slip
        centred 0.15, 20 pseudo-responses each (well below 0.5, so a thin skill
        cannot flip into "knowing lowers P(correct)", yet a skill with a few hundred
        answers moves freely); learn centred 0.15 with 10 (moderate: learn is the
        parameter EM most often pins at 0 or 1 on short sequences); prior Beta(2, 2)
        (weak: it only keeps the prior off 0 and 1, where cohorts really differ);
        forget with its mode at 0 worth 20 (forgetting must be earned by the data);
        items pulled toward their skill by 10 pseudo-responses.
        """
        return cls(
            prior=Beta.centred(0.5, 2.0),
            learn=Beta.centred(0.15, 10.0),
            guess=Beta.centred(0.2, 20.0),
            slip=Beta.centred(0.15, 20.0),
            forget=Beta.centred(0.0, 20.0),
            item_strength=10.0,
        )

    @property
    def flat(self) -> bool:
        return self.item_strength == 0.0 and all(getattr(self, n).flat for n in PARAM_ORDER)

    def pseudo_counts(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(a - 1, b - 1) per parameter in kernel order (engine.bounds.PARAM_ORDER)."""
        pa = np.array([getattr(self, n).a - 1.0 for n in PARAM_ORDER], dtype=np.float64)
        pb = np.array([getattr(self, n).b - 1.0 for n in PARAM_ORDER], dtype=np.float64)
        return pa, pb

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: getattr(self, n).to_dict() for n in PARAM_ORDER}
        out["item_strength"] = self.item_strength
        return out

    @classmethod
    def from_dict(cls, data: object, where: str = "priors") -> Priors:
        if not isinstance(data, Mapping):
            raise ParamsError(f"{where}: expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(f"{where}: unknown field(s) {unknown}")
        kwargs: dict[str, Any] = {
            n: Beta.from_dict(data[n], f"{where}.{n}") for n in PARAM_ORDER if n in data
        }
        if "item_strength" in data:
            kwargs["item_strength"] = data["item_strength"]
        return cls(**kwargs)


FLAT_PRIORS = Priors()

# Empirical Bayes: strength range of a re-estimated Beta (pseudo-responses).
EB_MIN_STRENGTH = 2.0  # never flat: a noisy population still keeps parameters off 0 and 1
EB_MAX_STRENGTH = 50.0  # never a point mass: a skill with 100+ answers still speaks for itself
EB_STRENGTH_PER_SKILL = 5.0  # a population of n skills is worth at most 5n pseudo-responses
EB_MIN_SKILLS = 3  # fewer skills say nothing about a population: keep the given priors
EB_HALF_WEIGHT = 100.0  # responses at which a skill gets half the weight of a very large one


def empirical_bayes(
    estimates: Mapping[str, NDArray[np.float64]],
    n_responses: NDArray[np.float64],
    base: Priors,
) -> Priors:
    """Re-estimate each parameter's Beta from the skills' estimates (method of moments).

    Centre: the weighted mean of the skills' values, weights n / (n + EB_HALF_WEIGHT)
    for a skill with n responses (a thin skill's estimate is mostly its prior, and
    one huge skill should not decide for a hundred others). Strength: the Beta
    whose variance matches the weighted variance, a + b = m(1 - m) / v - 1,
    clipped to [EB_MIN_STRENGTH, min(EB_MAX_STRENGTH, EB_STRENGTH_PER_SKILL * n)].
    Moments rather than the marginal likelihood because it needs no extra
    E-steps; the spread of first-round MAP estimates understates the population
    spread (they were shrunk) and sampling noise overstates it, and the clip
    bounds the damage of either. Parameters missing from `estimates`, and all of
    them with fewer than EB_MIN_SKILLS skills, keep `base`; `item_strength` is kept.
    """
    w_all = np.asarray(n_responses, dtype=np.float64)
    if w_all.ndim != 1 or np.any(w_all < 0):
        raise ValueError("n_responses must be a 1-d array of non-negative counts")
    out: dict[str, Any] = {n: getattr(base, n) for n in PARAM_ORDER}
    if w_all.shape[0] >= EB_MIN_SKILLS:
        w = w_all / (w_all + EB_HALF_WEIGHT)
        cap = min(EB_MAX_STRENGTH, EB_STRENGTH_PER_SKILL * w_all.shape[0])
        for name, values in estimates.items():
            if name not in PARAM_ORDER:
                raise ValueError(f"unknown parameter {name!r}; expected one of {PARAM_ORDER}")
            x = np.asarray(values, dtype=np.float64)
            if x.shape != w.shape:
                raise ValueError(f"{name}: {x.shape[0]} estimates for {w.shape[0]} skills")
            if w.sum() <= 0.0:
                continue
            mean = float(np.clip(np.dot(w, x) / w.sum(), 1e-3, 1.0 - 1e-3))
            var = float(np.dot(w, (x - mean) ** 2) / w.sum())
            strength = mean * (1.0 - mean) / var - 1.0 if var > 0.0 else math.inf
            out[name] = Beta.centred(mean, float(np.clip(strength, EB_MIN_STRENGTH, cap)))
    return Priors(**out, item_strength=base.item_strength)
