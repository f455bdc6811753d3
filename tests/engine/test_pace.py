"""Pace projection on hand-built states: known answers, the rate's effect, the flags."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.pace import (
    Flag,
    PaceProjector,
    Practice,
    Projection,
    SkillStart,
    Why,
    _quantiles,
    attempt_draws,
    classify,
)
from engine.params import SkillParams
from tests.factories import probability, skill_params

SURE = SkillParams(prior=0.5, learn=1.0, guess=0.0, slip=0.0)


def start(
    known: float, params: SkillParams = SURE, threshold: float = 0.95, **kw: int
) -> SkillStart:
    return SkillStart("s", known=known, params=params, threshold=threshold, **kw)


def test_a_goal_with_nothing_left_needs_no_answers_and_is_on_track() -> None:
    p = PaceProjector(draws=20).fit([], Practice(answers=10, days=14)).projection_
    assert p.reached and p.attempts == p.attempts_low == p.attempts_high == 0.0
    assert classify(p, days_left=3) == (Flag.on_track, Why.reached)


def test_a_skill_already_known_for_sure_needs_exactly_its_minimum_answers() -> None:
    params = SkillParams(prior=0.5, learn=0.2, guess=0.2, slip=0.1)
    draws = attempt_draws([start(1.0, params, min_attempts=1)], 50, 30, np.random.default_rng(1))
    assert draws.tolist() == [[1] * 50]


def test_no_guessing_no_slipping_half_known_is_one_answer_or_the_cap() -> None:
    """Known: one right answer proves it. Unknown with learn 0: the belief drops to 0 and
    never recovers, so the draw runs to the cap. The split follows P(known) = 0.5."""
    params = SkillParams(prior=0.5, learn=0.0, guess=0.0, slip=0.0)
    draws = attempt_draws([start(0.5, params)], 4000, 25, np.random.default_rng(2))
    assert set(np.unique(draws)) == {1, 25}
    assert abs(float((draws == 1).mean()) - 0.5) < 0.03


def test_skills_add_up_and_a_slower_learner_skill_needs_more_answers() -> None:
    fast = SkillParams(prior=0.1, learn=0.4, guess=0.2, slip=0.1)
    slow = SkillParams(prior=0.1, learn=0.1, guess=0.2, slip=0.1)
    one = PaceProjector(draws=2000, random_state=3).fit([start(0.1, fast)], None).projection_
    two = PaceProjector(draws=2000, random_state=3)
    two.fit([start(0.1, fast), start(0.1, fast)], None)
    slower = PaceProjector(draws=2000, random_state=3).fit([start(0.1, slow)], None).projection_
    assert two.projection_.attempts == pytest.approx(2 * one.attempts, rel=0.08)
    assert slower.attempts > one.attempts * 1.5
    assert one.days is None  # no practice rate given: no date


def test_days_are_answers_over_the_practice_rate() -> None:
    """Five sure skills need five answers; at 10 a day (1000 answers in 100 days, a tight
    rate) that is half a day, and the range is narrow around it."""
    starts = [start(1.0, SURE, min_attempts=1) for _ in range(5)]
    p = PaceProjector(draws=500).fit(starts, Practice(answers=1000, days=100)).projection_
    assert p.attempts == 5.0
    assert p.days == pytest.approx(0.5, rel=0.02)
    assert p.days is not None and p.days_low is not None and p.days_high is not None
    assert 0.45 < p.days_low <= p.days <= p.days_high < 0.55


def test_few_recent_answers_give_a_wider_date_range() -> None:
    starts = [start(1.0, SURE, min_attempts=1) for _ in range(5)]
    wide = PaceProjector(draws=2000).fit(starts, Practice(answers=4, days=2)).projection_
    narrow = PaceProjector(draws=2000).fit(starts, Practice(answers=280, days=140)).projection_
    assert wide.days_high is not None and wide.days_low is not None
    assert narrow.days_high is not None and narrow.days_low is not None
    assert (wide.days_high - wide.days_low) > 3 * (narrow.days_high - narrow.days_low)


def _proj(days: float | None, high: float | None) -> Projection:
    return Projection(10, 5, 20, days, None if days is None else days / 2, high, False, 2)


@pytest.mark.parametrize(
    ("projection", "days_left", "expected"),
    [
        (_proj(3.0, 5.0), 6.0, (Flag.on_track, Why.ahead)),
        (_proj(3.0, 8.0), 6.0, (Flag.at_risk, Why.late_end_after_target)),
        (_proj(7.0, 9.0), 6.0, (Flag.behind, Why.median_after_target)),
        (_proj(None, None), 6.0, (Flag.behind, Why.no_practice)),
        (_proj(1.0, 2.0), -1.0, (Flag.behind, Why.past_target)),
    ],
)
def test_flags(projection: Projection, days_left: float, expected: tuple[Flag, Why]) -> None:
    assert classify(projection, days_left) == expected


def test_bad_settings_and_starts_are_refused_with_the_field() -> None:
    with pytest.raises(ValueError, match="coverage"):
        PaceProjector(coverage=1.0)
    with pytest.raises(ValueError, match="known"):
        start(1.5)
    with pytest.raises(ValueError, match="days"):
        Practice(answers=3, days=0)


@settings(max_examples=60, deadline=None)
@given(
    params=st.lists(skill_params(), min_size=0, max_size=4),
    known=st.lists(probability, min_size=4, max_size=4),
    minimum=st.integers(min_value=0, max_value=3),
    answers=st.integers(min_value=0, max_value=200),
    days=st.floats(min_value=0.5, max_value=60),
)
def test_a_projection_never_promises_fewer_than_zero_answers_or_days(
    params: list[SkillParams], known: list[float], minimum: int, answers: int, days: float
) -> None:
    starts = [
        SkillStart(f"s{i}", known=k, params=p, threshold=0.95, min_attempts=minimum)
        for i, (p, k) in enumerate(zip(params, known, strict=False))
    ]
    proj = PaceProjector(draws=30, cap_per_skill=20).fit(starts, Practice(answers, days))
    p = proj.projection_
    assert (proj.draws_ >= 0).all()
    assert 0.0 <= p.attempts_low <= p.attempts_high <= 20 * len(starts)
    assert minimum * len(starts) <= p.attempts <= 20 * len(starts)
    if p.days is not None:
        assert p.days_low is not None and p.days_high is not None
        assert 0.0 <= p.days_low <= p.days <= p.days_high


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=50))
def test_the_ranges_quantiles_are_numpys(values: list[float]) -> None:
    x = np.array(values)
    qs = (0.05, 0.5, 0.95)
    assert np.allclose(_quantiles(x, qs), np.quantile(x, qs))
