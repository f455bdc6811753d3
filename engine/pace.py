"""Pace toward a goal: how many more answers a student needs, and how many days that is.

The projection is a Monte Carlo run of the tutor's own BKT model forward from where the
student stands, so it needs nothing the tutor does not already have:

* For every skill in scope (the goal's skills not yet mastered, plus unmastered
  prerequisites the recommender will send the student to first) one draw samples the
  hidden state from the student's current P(known), then answers item after item:
  an answer is right with 1 - slip when the skill is known, with guess when not; the
  tutor's posterior is updated as the service does, then the skill may be learnt
  (`learn`) or forgotten (`forget`). The draw's count is the number of answers until the
  posterior reaches the skill's mastery threshold (at least `min_attempts`, since
  mastery needs the student's own answers), capped at `cap_per_skill`. The true learning
  rate of a draw is the tutor's times a speed multiplier, LogNormal(0, `learn_spread`),
  shared by every skill of the draw: students learn at their own speed, which the
  tutor's single learn rate does not know.
* A draw's total is the sum over the skills in scope (BKT traces skills independently).
* The student's practice rate is uncertain too: with n answers in the last `d` days,
  the rate (answers per day) is drawn from its Jeffreys posterior Gamma(n + 1/2, 1/d),
  so a student seen for two days gets a wide range and one seen for two weeks a narrow
  one. A draw's days = its answers / its rate.

The range is the central `coverage` interval of the draws; the expected number of
answers is their mean. `benchmarks/pace_coverage.py` checks on simulated students
(who learn by a different, prerequisite-aware process) how often the true finishing
day falls inside the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from engine.params import SkillParams

_TINY = 1e-300  # keeps an impossible answer (0/0) from producing NaN


@dataclass(frozen=True, slots=True)
class SkillStart:
    """One skill in a projection's scope, as the student stands on it now."""

    skill_id: str
    known: float  # P(known) now (the belief the service rates mastery on)
    params: SkillParams
    threshold: float
    min_attempts: int = 0  # answers still needed whatever the belief (e.g. never answered)

    def __post_init__(self) -> None:
        if not 0.0 <= self.known <= 1.0:
            raise ValueError(f"skill {self.skill_id!r}: known must be in [0, 1], got {self.known}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"skill {self.skill_id!r}: threshold must be in (0, 1)")
        if self.min_attempts < 0:
            raise ValueError(f"skill {self.skill_id!r}: min_attempts must be >= 0")


@dataclass(frozen=True, slots=True)
class Practice:
    """How much the student practised lately: `answers` in the last `days` days."""

    answers: int
    days: float

    def __post_init__(self) -> None:
        if self.answers < 0:
            raise ValueError(f"practice: answers must be >= 0, got {self.answers}")
        if not self.days > 0.0:
            raise ValueError(f"practice: days must be > 0, got {self.days}")


@dataclass(frozen=True, slots=True)
class Projection:
    """Further answers (mean and central range) and, given a practice rate, days."""

    attempts: float
    attempts_low: float
    attempts_high: float
    days: float | None  # median days; None without recent practice
    days_low: float | None
    days_high: float | None
    capped: bool  # some draws hit the cap: the high end is a lower bound
    skills: int  # skills in scope still to master

    @property
    def reached(self) -> bool:
        return self.skills == 0


class PaceProjector:
    """Monte Carlo projection of answers and days to mastery (see the module docstring).

    Settings: `draws` per projection, `cap_per_skill` answers, the `coverage` of the
    range, `learn_spread` (the sd of log learning speed between students: the tutor's
    learn rate is the class's, a student's own may be faster or slower), `random_state`
    (an int seed or a Generator). `fit(starts, practice)` projects
    one student and sets `draws_` (answers per draw), `days_draws_` and `projection_`.
    """

    def __init__(
        self,
        draws: int = 400,
        cap_per_skill: int = 80,
        coverage: float = 0.9,
        learn_spread: float = 0.0,
        random_state: int | np.random.Generator | None = 0,
    ) -> None:
        if draws < 10:
            raise ValueError(f"draws must be >= 10, got {draws}")
        if cap_per_skill < 1:
            raise ValueError(f"cap_per_skill must be >= 1, got {cap_per_skill}")
        if not 0.0 < coverage < 1.0:
            raise ValueError(f"coverage must be in (0, 1), got {coverage}")
        self.draws = draws
        self.cap_per_skill = cap_per_skill
        if learn_spread < 0.0:
            raise ValueError(f"learn_spread must be >= 0, got {learn_spread}")
        self.coverage = coverage
        self.learn_spread = learn_spread
        self.random_state = random_state

    def _rng(self) -> np.random.Generator:
        if isinstance(self.random_state, np.random.Generator):
            return self.random_state
        return np.random.default_rng(self.random_state)

    def fit(self, starts: Sequence[SkillStart], practice: Practice | None) -> PaceProjector:
        rng = self._rng()
        ability = ability_draws(self.draws, self.learn_spread) if self.learn_spread else None
        per_skill = attempt_draws(starts, self.draws, self.cap_per_skill, rng, ability)
        return self._finish(per_skill, practice, rng)

    def from_draws(
        self, per_skill: NDArray[np.integer], practice: Practice | None
    ) -> PaceProjector:
        """`fit` from per-skill draws made earlier (`attempt_draws`, shape (skills,
        draws)): a service keeps them per distinct (parameters, belief) case."""
        if per_skill.ndim != 2 or per_skill.shape[1] != self.draws:
            raise ValueError(f"per_skill must have shape (skills, {self.draws})")
        return self._finish(per_skill, practice, self._rng())

    def _finish(
        self, per_skill: NDArray[np.integer], practice: Practice | None, rng: np.random.Generator
    ) -> PaceProjector:
        n = per_skill.shape[0]
        self.draws_ = per_skill.sum(axis=0, dtype=np.int64) if n else np.zeros(self.draws)
        capped = bool((per_skill >= self.cap_per_skill).any()) if n else False
        self.days_draws_ = days_draws(self.draws_, practice, rng)
        self.projection_ = summarise(self.draws_, self.days_draws_, self.coverage, capped, n)
        return self


def ability_draws(draws: int, spread: float) -> NDArray[np.float64]:
    """Learning-speed multipliers, one per draw: LogNormal(0, spread) at evenly spaced
    quantiles (deterministic, so draws kept per skill can be summed column by column and
    a student's speed is the same on every skill of one draw)."""
    from scipy.stats import norm

    q = (np.arange(draws) + 0.5) / draws
    out: NDArray[np.float64] = np.exp(spread * norm.ppf(q))
    return out


def attempt_draws(
    starts: Sequence[SkillStart],
    draws: int,
    cap: int,
    rng: np.random.Generator,
    ability: NDArray[np.float64] | None = None,
) -> NDArray[np.int64]:
    """(skills, draws): answers until the tutor's posterior reaches the threshold.

    `ability` (one multiplier per draw, `ability_draws`) scales the *true* learning
    rate of each draw: students learn faster or slower than the class's rate the tutor
    traces with, which the tutor's posterior only sees through the answers."""
    n = len(starts)
    if n == 0:
        return np.zeros((0, draws), dtype=np.int64)
    col = np.array
    known0 = col([s.known for s in starts])[:, None]
    guess = col([s.params.guess for s in starts])[:, None]
    slip = col([s.params.slip for s in starts])[:, None]
    learn = col([s.params.learn for s in starts])[:, None]
    forget = col([s.params.forget for s in starts])[:, None]
    threshold = col([s.threshold for s in starts])[:, None]
    minimum = col([s.min_attempts for s in starts])[:, None]
    true_learn = learn if ability is None else np.minimum(learn * ability[None, :], 1.0)
    belief = np.broadcast_to(known0, (n, draws)).copy()
    truth = rng.random((n, draws)) < belief
    count = np.zeros((n, draws), dtype=np.int64)
    done = (belief >= threshold) & (minimum <= 0)
    for t in range(1, cap + 1):
        if done.all():
            break
        correct = np.where(truth, rng.random((n, draws)) >= slip, rng.random((n, draws)) < guess)
        k_right, k_wrong = belief * (1.0 - slip), belief * slip
        right = k_right / np.maximum(k_right + (1.0 - belief) * guess, _TINY)
        wrong = k_wrong / np.maximum(k_wrong + (1.0 - belief) * (1.0 - guess), _TINY)
        post = np.where(correct, right, wrong)
        new_belief = post * (1.0 - forget) + (1.0 - post) * learn
        u = rng.random((n, draws))
        new_truth = np.where(truth, u >= forget, u < true_learn)
        active = ~done
        belief = np.where(active, new_belief, belief)
        truth = np.where(active, new_truth, truth)
        count = np.where(active, t, count)
        done = done | ((belief >= threshold) & (t >= minimum))
    count = np.where(done, count, cap)
    return count


def days_draws(
    attempts: NDArray[np.int64] | NDArray[np.float64],
    practice: Practice | None,
    rng: np.random.Generator,
) -> NDArray[np.float64] | None:
    """Days per draw at a practice rate drawn from its Gamma(n + 1/2, 1/d) posterior;
    None when the student has not practised lately (no rate to go on)."""
    if practice is None or practice.answers == 0:
        return None
    rate = rng.gamma(practice.answers + 0.5, 1.0 / practice.days, size=attempts.shape)
    out: NDArray[np.float64] = np.asarray(attempts, dtype=np.float64) / rate
    return out


def _quantiles(values: NDArray[np.float64], qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles (numpy's default) from one sort: `np.quantile`'s
    per-call overhead dominates a class page of a few hundred-draw projections."""
    ordered = np.sort(values)
    n = len(ordered)
    out = []
    for q in qs:
        pos = q * (n - 1)
        low = int(np.floor(pos))
        high = min(low + 1, n - 1)
        out.append(float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low)))
    return out


def summarise(
    attempts: NDArray[np.int64] | NDArray[np.float64],
    days: NDArray[np.float64] | None,
    coverage: float,
    capped: bool,
    skills: int,
) -> Projection:
    lo_q, hi_q = (1.0 - coverage) / 2.0, 1.0 - (1.0 - coverage) / 2.0
    a = np.asarray(attempts, dtype=np.float64)
    a_low, a_high = _quantiles(a, (lo_q, hi_q))
    d_low, d_mid, d_high = _quantiles(days, (lo_q, 0.5, hi_q)) if days is not None else (None,) * 3
    return Projection(
        attempts=float(a.mean()),
        attempts_low=a_low,
        attempts_high=a_high,
        days=d_mid,
        days_low=d_low,
        days_high=d_high,
        capped=capped,
        skills=skills,
    )


class Flag(StrEnum):
    on_track = "on track"
    at_risk = "at risk"
    behind = "behind"


class Why(StrEnum):
    """Which rule set the flag (the service puts it into words with dates)."""

    reached = "reached"  # every goal skill mastered
    ahead = "ahead"  # even the late end of the range is before the target
    late_end_after_target = "late_end_after_target"  # likely, not certain, in time
    median_after_target = "median_after_target"  # likely late
    no_practice = "no_practice"  # no answers lately: no date can be projected
    past_target = "past_target"  # the target date has passed without reaching the goal


def classify(projection: Projection, days_left: float) -> tuple[Flag, Why]:
    """On track when the whole range ends by the target; at risk when the middle does but
    the late end does not; behind when the middle is after the target, the target has
    passed, or there is no recent practice to project from."""
    if projection.reached:
        return Flag.on_track, Why.reached
    if days_left < 0:
        return Flag.behind, Why.past_target
    if projection.days is None or projection.days_high is None:
        return Flag.behind, Why.no_practice
    if projection.days > days_left:
        return Flag.behind, Why.median_after_target
    if projection.days_high > days_left:
        return Flag.at_risk, Why.late_end_after_target
    return Flag.on_track, Why.ahead
