"""Student-level calibration of BKT priors: what the rest of the profile says about a skill.

Per-skill BKT gives every student the same prior, but students differ: one who already
knows most of the unit probably knows the untested skill too. We model that with one
latent number per student, a shift theta on the logit of every skill's prior,
theta ~ Normal(0, spread**2), and integrate it out on a fixed grid:

    P(known at start | theta) = sigmoid(logit(q_s) + theta)

where q_s is chosen so that averaging over theta gives back the model's prior exactly
(with no answers yet nothing changes). Each practised skill contributes the likelihood of
its answers under "known at start" and "unknown at start" (`StudentState.start_likelihoods`,
learning and forgetting already accounted for), so theta's posterior comes from the whole
profile in one vectorised step. A skill's calibrated prior is the mean over that posterior
leaving its own answers out (they enter once, through its own BKT filter). spread = 0
switches this off and gives plain per-skill BKT.

The Normal is a default for when nothing better is known. A student body is rarely one
bell curve (a class mixes beginners with students who know most of the unit), so the
distribution of theta can instead be estimated from logged students (`fit_shift`: the
nonparametric maximum-likelihood mixing distribution on a fixed grid, by EM, i.e.
empirical Bayes at the level of the student body). Each student's calibrated prior is
then the posterior mean under that fitted distribution: shrunk towards the student body
as long as the student has shown little, and following the student once they have.
The stop rule is unchanged: a skill is mastered when its own BKT belief, under the
student's calibrated prior, reaches the threshold (BKT with a per-student prior).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.params import SkillParams
from engine.recommend.state import StudentState

GRID_POINTS = 25
_EPS = 1e-6


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def _centred_logit(prior: float, theta: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    """The logit q with E_theta[sigmoid(q + theta)] = prior (bisection; monotone in q)."""
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if float(w @ _sigmoid(mid + theta)) < prior:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class ShiftDistribution:
    """A discrete distribution of the student-level logit shift theta."""

    theta: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        t = np.asarray(self.theta, dtype=np.float64)
        w = np.asarray(self.weights, dtype=np.float64)
        if t.ndim != 1 or t.shape != w.shape or t.size == 0:
            raise ValueError("ShiftDistribution: theta and weights need the same non-zero length")
        if not (np.isfinite(t).all() and np.isfinite(w).all()) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("ShiftDistribution: finite theta, weights >= 0 with a positive sum")

    @classmethod
    def normal(cls, spread: float, points: int = GRID_POINTS) -> ShiftDistribution:
        """Normal(0, spread**2) on `points` equally spaced points within 3 sd."""
        if not math.isfinite(spread) or spread < 0.0:
            raise ValueError(f"spread must be finite and >= 0, got {spread!r}")
        z = np.linspace(-3.0, 3.0, points)
        w = np.exp(-0.5 * z * z)
        return cls(tuple((spread * z).tolist()), tuple((w / w.sum()).tolist()))

    def mean(self) -> float:
        w = np.asarray(self.weights)
        return float(np.asarray(self.theta) @ w / w.sum())

    def sd(self) -> float:
        t, w = np.asarray(self.theta), np.asarray(self.weights)
        w = w / w.sum()
        return float(np.sqrt(max(0.0, float(w @ (t * t)) - float(w @ t) ** 2)))


def _start_likelihoods(
    skills: Sequence[str], state: StudentState
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    done = practised({s: i for i, s in enumerate(skills)}, state)
    return done.rows, done.l1, done.l0


def fit_shift(
    skills: Sequence[str],
    params: Mapping[str, SkillParams],
    states: Iterable[StudentState],
    grid: Sequence[float] | None = None,
    iterations: int = 500,
    tol: float = 1e-9,
) -> ShiftDistribution:
    """Empirical Bayes: the distribution of theta that best explains logged students.

    P(known at start | theta) = sigmoid(logit(prior_s) + theta); each student's answers
    give P(answers | theta) through the two-start filters of `StudentState`. The weights
    on `grid` (default -6..6 logits in steps of 0.25) are the nonparametric maximum-
    likelihood estimate, found by EM from uniform weights.
    """
    theta = np.linspace(-6.0, 6.0, 49) if grid is None else np.asarray(grid, dtype=np.float64)
    base = np.array([_logit_scalar(min(max(params[s].prior, _EPS), 1.0 - _EPS)) for s in skills])
    table = _sigmoid(base[:, None] + theta[None, :])  # (skills, grid)
    logliks = []
    for state in states:
        rows, l1, l0 = _start_likelihoods(skills, state)
        if rows.size == 0:
            continue
        p = table[rows]
        logliks.append(np.log(np.maximum(l0[:, None] + p * (l1 - l0)[:, None], 1e-300)).sum(0))
    if not logliks:
        raise ValueError("fit_shift: no student has answered any of the skills")
    ll = np.array(logliks)
    like = np.exp(ll - ll.max(axis=1, keepdims=True))  # (students, grid), per-student scale
    w = np.full(theta.size, 1.0 / theta.size)
    for _ in range(iterations):
        post = like * w
        post /= post.sum(axis=1, keepdims=True)
        new = post.mean(axis=0)
        done = float(np.abs(new - w).max()) < tol
        w = new
        if done:
            break
    return ShiftDistribution(tuple(theta.tolist()), tuple(w.tolist()))


def _logit_scalar(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True, slots=True)
class ProfileView:
    """Per skill, aligned with `PriorProfile.skills`."""

    priors: list[float]  # calibrated prior (leave-own-answers-out for practised skills)
    own: list[float]  # BKT P(known now) under that prior, decayed for forgetting
    learned: list[float]  # P(unknown before the first answer and known now)


@dataclass(frozen=True, slots=True)
class Practised:
    """A state's practised skills in graph order (not the state's key order, which JSON
    storage may permute: sums over them then round the same for a kept and a reloaded
    state): their columns, forward-filter paths (kk, ku, uk, uu), and the answers given
    since each was last practised."""

    rows: NDArray[np.intp]
    paths: NDArray[np.float64]
    elapsed: NDArray[np.float64]

    @property
    def l1(self) -> NDArray[np.float64]:  # P(answers | known at the start)
        return self.paths[:, 0] + self.paths[:, 1]

    @property
    def l0(self) -> NDArray[np.float64]:  # P(answers | unknown at the start)
        return self.paths[:, 2] + self.paths[:, 3]


def practised(index: Mapping[str, int], state: StudentState) -> Practised:
    found = sorted(
        ((index[s], r) for s, r in state.skills.items() if s in index), key=lambda row: row[0]
    )
    return Practised(
        rows=np.fromiter((i for i, _ in found), dtype=np.intp, count=len(found)),
        paths=np.array([r.paths for _, r in found], dtype=np.float64).reshape(-1, 4),
        elapsed=np.fromiter(
            (state.step - r.last_step - 1 for _, r in found), dtype=np.float64, count=len(found)
        ),
    )


def view_under(
    priors: NDArray[np.float64],
    mine: NDArray[np.float64],
    done: Practised,
    forget: NDArray[np.float64],
) -> ProfileView:
    """BKT beliefs of every skill when the practised ones started at `mine` (the others
    stay at `priors`); forgetting since the last answer only shrinks the "known now" parts."""
    keep = (1.0 - forget[done.rows]) ** np.maximum(done.elapsed, 0.0)
    paths, l1, l0 = done.paths, done.l1, done.l0
    den = mine * l1 + (1.0 - mine) * l0
    safe = np.where(den > 0.0, den, 1.0)
    own_p = np.where(
        den > 0.0, keep * (mine * paths[:, 0] + (1.0 - mine) * paths[:, 2]) / safe, mine
    )
    learned_p = np.where(den > 0.0, keep * (1.0 - mine) * paths[:, 2] / safe, 0.0)
    own = priors.copy()
    own[done.rows] = own_p
    learned = np.zeros_like(priors)
    learned[done.rows] = learned_p
    return ProfileView(priors.tolist(), own.tolist(), learned.tolist())


class PriorProfile:
    """Precomputed grid for one skill list, parameter set and shift distribution.

    `shift` (e.g. from `fit_shift`) replaces the Normal(0, spread**2) default.
    """

    def __init__(
        self,
        skills: Sequence[str],
        params: Mapping[str, SkillParams],
        spread: float,
        shift: ShiftDistribution | None = None,
    ) -> None:
        if not math.isfinite(spread) or spread < 0.0:
            raise ValueError(f"spread must be finite and >= 0, got {spread!r}")
        self.skills = tuple(skills)
        self.index = {s: i for i, s in enumerate(self.skills)}
        self.params = params
        dist = ShiftDistribution.normal(spread) if shift is None else shift
        self.spread = dist.sd()
        w = np.asarray(dist.weights, dtype=np.float64)
        self._w = w / w.sum()
        with np.errstate(divide="ignore"):
            self._logw = np.log(self._w)
        self._theta = np.asarray(dist.theta, dtype=np.float64)
        self._tables: dict[str | None, NDArray[np.float64]] = {}
        self._forget = np.array([params[s].forget for s in self.skills], dtype=np.float64)

    def _table(self, student_class: str | None) -> NDArray[np.float64]:
        """P(known at start | theta) per skill (rows) and grid point (columns)."""
        table = self._tables.get(student_class)
        if table is None:
            rows = []
            for s in self.skills:
                prior = min(max(self.params[s].prior_for(student_class), _EPS), 1.0 - _EPS)
                q = _centred_logit(prior, self._theta, self._w)
                rows.append(_sigmoid(q + self._theta))
            table = np.array(rows)
            self._tables[student_class] = table
        return table

    def evaluate(self, state: StudentState) -> ProfileView:
        """Calibrated priors, and each skill's BKT belief under its calibrated prior.

        Vectorised over skills and grid points: the recommender calls this on every answer.
        """
        table = self._table(state.student_class)
        done = practised(self.index, state)
        if done.rows.size == 0:
            priors = table @ self._w
            values = priors.tolist()
            return ProfileView(values, list(values), [0.0] * len(values))
        rows, l1, l0 = done.rows, done.l1, done.l0
        p = table[rows]  # (n, grid)
        if self.spread == 0.0:
            priors = table @ self._w
            mine = priors[rows]
        else:
            loglik = np.log(np.maximum(l0[:, None] + p * (l1 - l0)[:, None], 1e-300))
            total = self._logw + loglik.sum(axis=0)
            w_all = np.exp(total - total.max())
            priors = table @ (w_all / w_all.sum())
            loo = total - loglik  # leave each skill's own answers out
            loo = np.exp(loo - loo.max(axis=1, keepdims=True))
            mine = (loo * p).sum(axis=1) / loo.sum(axis=1)
            priors[rows] = mine
        return view_under(priors, mine, done, self._forget)
