"""Beta priors and Priors: validation, JSON form, and the empirical-Bayes re-estimate."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.params import ParamsError
from engine.priors import (
    EB_MAX_STRENGTH,
    EB_MIN_STRENGTH,
    EB_STRENGTH_PER_SKILL,
    FLAT,
    Beta,
    Priors,
    empirical_bayes,
)


def test_centred_puts_the_mode_at_the_mean_with_strength_pseudo_counts() -> None:
    b = Beta.centred(0.2, 20.0)
    assert (b.a, b.b) == (5.0, 17.0)
    assert b.mode == pytest.approx(0.2) and b.strength == 20.0
    assert Beta.centred(0.7, 0.0) == FLAT and FLAT.flat and FLAT.mode == 0.5


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Beta(0.5, 2.0), r"beta\.a: MAP needs a, b >= 1"),
        (lambda: Beta(2.0, math.nan), r"beta\.b: expected a finite number"),
        (lambda: Beta("2", 2.0), r"beta\.a: expected a number"),  # type: ignore[arg-type]
        (lambda: Beta.centred(1.2, 5.0), r"beta\.mean"),
        (lambda: Beta.centred(0.2, -1.0), r"beta\.strength"),
        (lambda: Priors(guess=(2, 3)), r"priors\.guess: expected an engine\.priors\.Beta"),  # type: ignore[arg-type]
        (lambda: Priors(item_strength=-1.0), r"priors\.item_strength"),
        (lambda: Priors.from_dict({"gues": {"a": 2}}), r"unknown field\(s\) \['gues'\]"),
        (lambda: Priors.from_dict({"slip": {"a": 0.2}}), r"priors\.slip: beta\.a"),
    ],
)
def test_bad_priors_are_refused_naming_the_field(make: object, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        make()  # type: ignore[operator]


def test_default_priors_keep_guess_and_slip_well_below_one_half() -> None:
    d = Priors.default()
    assert 0.15 <= d.guess.mode <= 0.2 and d.slip.mode <= 0.15
    assert d.guess.strength > d.prior.strength and d.learn.strength > d.prior.strength
    assert d.forget.mode == 0.0 and not d.flat and Priors().flat


def test_priors_json_round_trip() -> None:
    d = Priors.default()
    again = Priors.from_dict(json.loads(json.dumps(d.to_dict())))
    assert again == d
    assert Priors.from_dict({}) == Priors()


def test_pseudo_counts_are_in_kernel_order() -> None:
    pa, pb = Priors(learn=Beta(3, 5), slip=Beta(2, 10)).pseudo_counts()
    assert list(pa) == [0.0, 2.0, 0.0, 0.0, 1.0]  # prior, learn, forget, guess, slip
    assert list(pb) == [0.0, 4.0, 0.0, 0.0, 9.0]


def test_empirical_bayes_centre_is_the_data_weighted_mean() -> None:
    guess = np.array([0.1, 0.2, 0.3, 0.4])
    n = np.array([100.0, 100.0, 100.0, 1e9])
    out = empirical_bayes({"guess": guess}, n, Priors.default())
    w = n / (n + 100.0)
    assert out.guess.mode == pytest.approx(float(np.dot(w, guess) / w.sum()))
    assert out.learn == Priors.default().learn  # not re-estimated: kept
    assert out.item_strength == Priors.default().item_strength


def test_empirical_bayes_strength_matches_the_spread() -> None:
    rng = np.random.default_rng(0)
    x = rng.beta(8.0, 32.0, 2000)  # mean 0.2, a + b = 40
    out = empirical_bayes({"slip": x}, np.full(x.shape, 1e6), Priors())
    assert out.slip.mode == pytest.approx(0.2, abs=0.01)
    assert out.slip.strength == pytest.approx(40.0, rel=0.15)


def test_one_wild_skill_cannot_make_it_flat_nor_a_few_agreeing_ones_a_point_mass() -> None:
    wild = np.array([0.2] * 9 + [1.0])
    noisy = empirical_bayes({"guess": np.array([0.0, 1.0] * 5)}, np.full(10, 500.0), Priors())
    assert noisy.guess.strength == EB_MIN_STRENGTH
    assert empirical_bayes({"guess": wild}, np.full(10, 500.0), Priors()).guess.strength >= (
        EB_MIN_STRENGTH
    )
    three = empirical_bayes({"guess": np.full(3, 0.2)}, np.full(3, 500.0), Priors())
    assert three.guess.strength == 3 * EB_STRENGTH_PER_SKILL
    many = empirical_bayes({"guess": np.full(40, 0.2)}, np.full(40, 500.0), Priors())
    assert many.guess.strength == EB_MAX_STRENGTH


def test_empirical_bayes_needs_a_population() -> None:
    base = Priors.default()
    assert empirical_bayes({"guess": np.array([0.1, 0.4])}, np.array([50.0, 50.0]), base) == base
    with pytest.raises(ValueError, match="unknown parameter"):
        empirical_bayes({"gues": np.full(3, 0.1)}, np.full(3, 10.0), base)
    with pytest.raises(ValueError, match="2 estimates for 3 skills"):
        empirical_bayes({"guess": np.full(2, 0.1)}, np.full(3, 10.0), base)


@settings(max_examples=50, deadline=None)
@given(
    x=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=30),
    n=st.floats(0.0, 1e6),
)
def test_empirical_bayes_gives_valid_bounded_betas(x: list[float], n: float) -> None:
    out = empirical_bayes({"learn": np.array(x)}, np.full(len(x), n + 1.0), Priors())
    assert 0.0 < out.learn.mode < 1.0
    assert (
        EB_MIN_STRENGTH
        <= out.learn.strength
        <= min(EB_MAX_STRENGTH, EB_STRENGTH_PER_SKILL * len(x)) + 1e-9
    )
