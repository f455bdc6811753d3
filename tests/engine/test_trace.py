"""The online update and the batch trace on hand-checked numbers and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from engine.params import SkillParams
from engine.trace import predict_correct, trace, update

P = SkillParams(prior=0.4, learn=0.2, guess=0.25, slip=0.1, forget=0.05)


def test_one_update_by_hand() -> None:
    u = update(P, 0.4, True)
    p_correct = 0.4 * 0.9 + 0.6 * 0.25
    posterior = 0.4 * 0.9 / p_correct
    assert u.p_correct == pytest.approx(p_correct, abs=1e-15)
    assert u.posterior == pytest.approx(posterior, abs=1e-15)
    assert u.mastery == pytest.approx(posterior * 0.95 + (1 - posterior) * 0.2, abs=1e-15)
    wrong = update(P, 0.4, False)
    assert wrong.posterior == pytest.approx(0.4 * 0.1 / (0.4 * 0.1 + 0.6 * 0.75), abs=1e-15)
    assert predict_correct(P, 0.4) == u.p_correct


def test_trace_starts_from_the_prior_or_a_given_mastery() -> None:
    t = trace(P, [1, 0, 1])
    assert t.p_correct[0] == predict_correct(P, 0.4)
    assert t.p_correct[1] == predict_correct(P, t.mastery[0])
    t2 = trace(P, [1], initial_mastery=0.9)
    assert t2.p_correct[0] == predict_correct(P, 0.9)


def test_items_and_classes_pick_their_parameters() -> None:
    p = SkillParams(
        prior=0.4,
        learn=0.2,
        guess=0.25,
        slip=0.1,
        item_guess={"easy": 0.6},
        item_learn={"easy": 0.5},
        class_prior={"A": 0.9},
    )
    t = trace(p, [1, 1], items=["easy", "other"], student_class="A")
    assert t.p_correct[0] == pytest.approx(0.9 * 0.9 + 0.1 * 0.6, abs=1e-15)
    post = t.posterior[0]
    assert t.mastery[0] == pytest.approx(post + (1 - post) * 0.5, abs=1e-15)
    with pytest.raises(ValueError, match="items has 1 entries but correct has 2"):
        trace(p, [1, 1], items=["easy"])


def test_full_mastery_then_errors_stays_a_probability() -> None:
    """Regression: the denominator 1 - p_correct rounded below num at mastery 1.0, the
    posterior exceeded 1 and diverged (P(correct) reached 4843 on ASSISTments)."""
    p = SkillParams(prior=1.0, learn=0.0022, guess=0.3258, slip=0.2117)
    t = trace(p, [0] * 200)
    for arr in (t.p_correct, t.posterior, t.mastery):
        assert np.all((arr >= 0) & (arr <= 1))


def test_impossible_observation_keeps_the_belief() -> None:
    p = SkillParams(prior=1.0, learn=0.1, guess=0.0, slip=0.0)
    u = update(p, 1.0, False)  # a known skill with slip 0 cannot be answered wrong
    assert u.posterior == 1.0
