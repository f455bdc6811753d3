"""BKTFitter: estimator contract, restarts, bounds, convergence rules, variants."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bounds import Bounds
from engine.fit import SERVICE_MIN_RESPONSES, SERVICE_MIN_STUDENTS, BKTFitter, service_fitter
from engine.params import ModelParams, ParamsError, SkillParams
from engine.priors import Beta, Priors
from engine.report import degenerate_skills
from tests.factories import TRUE_BKT, model, sequences, simulated, skill_params


def _two_skills(seed: int) -> ModelParams:
    return model({"a": TRUE_BKT, "b": SkillParams(prior=0.5, learn=0.1, guess=0.25, slip=0.15)})


def test_fit_returns_self_with_learned_attributes(seed: int) -> None:
    data = simulated(_two_skills(seed), 80, 10, seed)
    fitter = BKTFitter(random_state=seed)
    assert fitter.fit(data) is fitter
    assert set(fitter.params_.skills) == {"a", "b"}
    for name in ("a", "b"):
        h = fitter.history_[name]
        assert len(h) == fitter.n_iter_[name] >= 1
        assert math.isfinite(fitter.log_likelihood_[name])
        if fitter.converged_[name]:
            assert fitter.log_likelihood_[name] == h[-1]
    assert [r.skill for r in fitter.report_] == ["a", "b"]
    assert fitter.params_.metadata["restarts"] == 1


def test_same_seed_same_result_and_threads_do_not_matter(seed: int) -> None:
    data = simulated(_two_skills(seed), 60, 8, seed)
    one = BKTFitter(restarts=2, random_state=seed, n_jobs=1).fit(data)
    two = BKTFitter(restarts=2, random_state=seed, n_jobs=2).fit(data)
    assert dict(one.params_.skills) == dict(two.params_.skills)
    other = BKTFitter(restarts=2, random_state=seed + 1, n_jobs=1).fit(data)
    assert dict(other.params_.skills) != dict(one.params_.skills)


def test_more_restarts_never_lower_the_log_likelihood(seed: int) -> None:
    """Restart 0 draws what a single-restart fit with the same seed draws."""
    data = simulated(_two_skills(seed), 60, 8, seed)
    single = BKTFitter(restarts=1, random_state=seed).fit(data)
    many = BKTFitter(restarts=5, random_state=seed).fit(data)
    for name in ("a", "b"):
        assert many.log_likelihood_[name] >= single.log_likelihood_[name]


def test_progress_reports_every_task_in_order(seed: int) -> None:
    calls: list[tuple[int, int]] = []
    data = simulated(_two_skills(seed), 30, 5, seed)
    BKTFitter(restarts=3, random_state=seed, progress=lambda d, t: calls.append((d, t))).fit(data)
    assert calls == [(i, 6) for i in range(1, 7)]


def test_initial_params_replace_the_random_start(seed: int) -> None:
    data = simulated(TRUE_BKT, 60, 8, seed)
    init = model({"s": TRUE_BKT})
    a = BKTFitter(random_state=seed).fit(data, initial=init)
    b = BKTFitter(random_state=seed + 7).fit(data, initial=init)
    assert dict(a.params_.skills) == dict(b.params_.skills)


def test_bounds_are_respected_and_reported(seed: int) -> None:
    truth = SkillParams(prior=0.3, learn=0.15, guess=0.45, slip=0.35)
    data = simulated(truth, 200, 10, seed)
    fitter = BKTFitter(bounds=Bounds.capped(0.3, 0.3), restarts=2, random_state=seed).fit(data)
    p = fitter.params_["s"]
    assert p.guess <= 0.3 and p.slip <= 0.3
    assert "guess" in fitter.report_["s"].at_bound
    assert fitter.params_.metadata["bounds"]["guess"] == [0.0, 0.3]


def test_multigs_item_bounds_too(seed: int) -> None:
    truth = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, item_guess={"s/item0": 0.6})
    data = simulated(truth, 200, 10, seed, items=2)
    fitter = BKTFitter(multigs=True, bounds=Bounds(guess=(0.05, 0.35)), random_state=seed).fit(data)
    p = fitter.params_["s"]
    assert all(0.05 <= g <= 0.35 for g in p.item_guess.values())
    assert set(p.item_guess) == {"s/item0", "s/item1"}


@pytest.mark.parametrize("bad", [(0.5, 0.2), (-0.1, 0.3), (0.0, 1.5), (0.0, math.nan), (0.3,)])
def test_bounds_reject_bad_intervals_naming_the_field(bad: tuple[float, ...]) -> None:
    with pytest.raises(ParamsError, match=r"bounds\.slip"):
        Bounds(slip=bad)  # type: ignore[arg-type]


def test_pybkt_convergence_stops_when_the_integer_log_likelihood_repeats(seed: int) -> None:
    data = simulated(TRUE_BKT, 100, 10, seed)
    f = BKTFitter(random_state=seed).fit(data)
    h = f.history_["s"]
    assert f.converged_["s"] and len(h) >= 3
    assert math.trunc(h[-1]) == math.trunc(h[-2])
    assert all(math.trunc(h[i]) != math.trunc(h[i - 1]) for i in range(2, len(h) - 1))


def test_absolute_convergence_uses_the_exact_value(seed: int) -> None:
    data = simulated(TRUE_BKT, 100, 10, seed)
    f = BKTFitter(convergence="absolute", tol=1e-6, max_iter=1000, random_state=seed).fit(data)
    h = f.history_["s"]
    assert f.converged_["s"] and abs(h[-1] - h[-2]) < 1e-6
    assert all(abs(h[i] - h[i - 1]) >= 1e-6 for i in range(2, len(h) - 1))


def test_max_iter_reached_is_not_converged_and_scores_the_final_params(seed: int) -> None:
    data = simulated(TRUE_BKT, 100, 10, seed)
    f = BKTFitter(max_iter=2, random_state=seed).fit(data)
    assert f.n_iter_["s"] == 2 and not f.converged_["s"]
    assert f.log_likelihood_["s"] >= f.history_["s"][-1]
    assert "not converged" in f.report_["s"].flags()


def test_classic_bkt_never_fits_a_forget(seed: int) -> None:
    data = simulated(
        SkillParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1, forget=0.2), 80, 10, seed
    )
    assert BKTFitter(random_state=seed).fit(data).params_["s"].forget == 0.0
    assert BKTFitter(forgets=True, random_state=seed).fit(data).params_["s"].forget > 0.0


def test_skills_without_rows_are_skipped(seed: int) -> None:
    data = simulated(_two_skills(seed), 20, 5, seed)
    only_a = data.take(data.skill == data.skills.index("a"))
    f = BKTFitter(random_state=seed).fit(only_a)
    assert set(f.params_.skills) == {"a"}


def test_multiprior_fits_a_prior_per_class(seed: int) -> None:
    truth = SkillParams(
        prior=0.5, learn=0.1, guess=0.2, slip=0.1, class_prior={"novice": 0.1, "expert": 0.9}
    )
    data = simulated(truth, 1500, 6, seed, classes=["novice", "expert"])
    f = BKTFitter(multiprior=True, restarts=3, random_state=seed).fit(data)
    p = f.params_["s"]
    assert abs(p.class_prior["novice"] - 0.1) < 0.08
    assert abs(p.class_prior["expert"] - 0.9) < 0.08
    assert f.params_.multiprior


def test_multilearn_fits_a_learn_rate_per_item(seed: int) -> None:
    truth = SkillParams(
        prior=0.2, learn=0.1, guess=0.2, slip=0.1, item_learn={"s/item0": 0.05, "s/item1": 0.4}
    )
    data = simulated(truth, 1500, 8, seed, items=2)
    p = BKTFitter(multilearn=True, restarts=3, random_state=seed).fit(data).params_["s"]
    assert p.item_learn["s/item1"] > p.item_learn["s/item0"] + 0.2


def test_one_response_per_student_still_fits() -> None:
    data = sequences([("s", f"u{i}", [i % 2]) for i in range(10)])
    f = BKTFitter(random_state=0).fit(data)
    assert 0.0 <= f.params_["s"].prior <= 1.0
    assert f.report_["s"].low_data


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"restarts": 0}, "restarts"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"convergence": "relative"}, "convergence"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BKTFitter(**kwargs)  # type: ignore[arg-type]


def test_bounds_must_be_typed() -> None:
    with pytest.raises(TypeError, match="Bounds"):
        BKTFitter(bounds={"guess": (0, 0.3)})  # type: ignore[arg-type]


# ---- small data: MAP priors, empirical Bayes, guess floors, the minimum-data rule ---------------


def _population(rng: np.random.Generator) -> SkillParams:
    """A skill as schools see them (and as the default priors expect them)."""
    return SkillParams(
        prior=rng.uniform(0.1, 0.7),
        learn=rng.uniform(0.05, 0.3),
        guess=rng.uniform(0.1, 0.3),
        slip=rng.uniform(0.05, 0.2),
    )


def _school(seed: int, n_skills: int = 6) -> ModelParams:
    rng = np.random.default_rng(seed)
    return ModelParams(skills={f"k{j}": _population(rng) for j in range(n_skills)})


def _abs_errors(fitted: ModelParams, truth: ModelParams) -> list[float]:
    return [
        abs(getattr(fitted[s], n) - getattr(truth[s], n))
        for s in truth.skills
        for n in ("prior", "learn", "guess", "slip")
    ]


def test_map_recovers_small_cohorts_better_than_plain_em_and_stays_out_of_corners(
    seed: int,
) -> None:
    """20 students x 8 answers on each of 6 skills, 12 schools."""
    errors: dict[str, list[float]] = {"flat": [], "map": [], "eb": []}
    for s in range(seed, seed + 12):
        truth = _school(s)
        data = simulated(truth, 20, 8, s)
        fits = {
            "flat": BKTFitter(random_state=s),
            "map": BKTFitter(priors=Priors.default(), random_state=s),
            "eb": BKTFitter(priors=Priors.default(), empirical_bayes=True, random_state=s),
        }
        for name, f in fits.items():
            f.fit(data)
            errors[name] += _abs_errors(f.params_, truth)
            if name != "flat":
                assert degenerate_skills(f.params_) == {}, (s, name, f.params_.skills)
    mae = {name: float(np.mean(e)) for name, e in errors.items()}
    assert mae["map"] < 0.85 * mae["flat"], mae
    assert mae["eb"] < 0.85 * mae["flat"], mae


def test_flat_priors_are_plain_em_to_the_bit(seed: int) -> None:
    truth = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, item_guess={"s/item0": 0.3})
    data = simulated(truth, 40, 8, seed, items=3)
    for kw in ({}, {"multigs": True, "forgets": True}):
        plain = BKTFitter(random_state=seed, **kw).fit(data)  # type: ignore[arg-type]
        flat = BKTFitter(priors=Priors(), random_state=seed, **kw).fit(data)  # type: ignore[arg-type]
        assert dict(flat.params_.skills) == dict(plain.params_.skills)
        np.testing.assert_array_equal(flat.history_["s"], plain.history_["s"])
        np.testing.assert_array_equal(flat.log_posterior_history_["s"], plain.history_["s"])
        assert flat.log_posterior_ == plain.log_likelihood_


def test_map_reports_the_data_log_likelihood_and_the_log_posterior(seed: int) -> None:
    data = simulated(TRUE_BKT, 30, 8, seed)
    f = BKTFitter(priors=Priors.default(), random_state=seed, convergence="absolute").fit(data)
    p = f.params_["s"]
    d = Priors.default()
    log_prior = sum(
        getattr(d, n).log_pdf(getattr(p, n)) for n in ("prior", "learn", "guess", "slip")
    )
    assert f.log_posterior_["s"] == pytest.approx(f.log_likelihood_["s"] + log_prior, rel=1e-9)
    plain_ll = BKTFitter(random_state=seed, convergence="absolute").fit(data).log_likelihood_["s"]
    assert f.log_likelihood_["s"] <= plain_ll + 1e-6  # MAP gives up likelihood for the prior
    row = f.report_.to_json_dict()["skills"][0]
    assert row["log_posterior"] == pytest.approx(f.log_posterior_["s"])
    assert f.report_.settings["priors"] == d.to_dict()


betas = st.builds(Beta, st.floats(1.0, 30.0), st.floats(1.0, 30.0))
priors_strategy = st.builds(
    Priors, prior=betas, learn=betas, guess=betas, slip=betas, forget=betas
) | st.just(replace(Priors.default(), item_strength=0.0))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    truth=skill_params(inner=True),
    seed=st.integers(0, 2**31 - 1),
    forgets=st.booleans(),
    multigs=st.booleans(),
    cap=st.sampled_from([None, 0.3]),
    priors=priors_strategy,
)
def test_log_posterior_never_decreases_across_em_iterations(
    truth: SkillParams,
    seed: int,
    forgets: bool,
    multigs: bool,
    cap: float | None,
    priors: Priors,
) -> None:
    """Exact EM on the log posterior (item_strength 0): each M-step maximises it."""
    data = simulated(truth, 30, 8, seed, items=3 if multigs else 0)
    fitter = BKTFitter(
        forgets=forgets,
        multigs=multigs,
        priors=priors,
        bounds=Bounds.capped(cap, cap) if cap is not None else None,
        guess_floors={"s/item0": 0.35} if multigs else None,
        max_iter=25,
        tol=0.0,
        convergence="absolute",
        random_state=seed,
        n_jobs=1,
    ).fit(data)
    h = fitter.log_posterior_history_["s"]
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), (seed, h)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    multigs=st.booleans(),
    lo=st.sampled_from([0.0, 0.05]),
    hi=st.sampled_from([0.2, 0.3, 1.0]),
    floors=st.lists(st.sampled_from([None, 0.1, 0.25, 1 / 3, 0.5]), min_size=4, max_size=4),
    map_fit=st.booleans(),
)
def test_guess_bounds_and_item_floors_are_respected(
    seed: int, multigs: bool, lo: float, hi: float, floors: list[float | None], map_fit: bool
) -> None:
    truth = SkillParams(
        prior=0.3, learn=0.15, guess=0.15, slip=0.1, item_guess={"s/item1": 0.4, "s/item2": 0.05}
    )
    data = simulated(truth, 25, 8, seed, items=4)
    floor_map = {f"s/item{j}": f for j, f in enumerate(floors) if f is not None}
    bounds = Bounds(guess=(lo, hi), slip=(0.0, 0.3))
    fitter = BKTFitter(
        multigs=multigs,
        bounds=bounds,
        guess_floors=floor_map,
        priors=Priors.default() if map_fit else None,
        random_state=seed,
        n_jobs=1,
    ).fit(data)
    p = fitter.params_["s"]
    for j in range(4):
        item = f"s/item{j}"
        f_lo, f_hi = bounds.guess_interval(floor_map.get(item))
        assert f_lo - 1e-12 <= p.guess_for(item) <= f_hi + 1e-12, (item, p)
        assert p.slip_for(item) <= 0.3 + 1e-12
    if not multigs:  # only floors above the lower bound give an item its own guess
        assert set(p.item_guess) == {i for i, f in floor_map.items() if f > lo}
        assert not p.item_slip
    assert lo <= p.guess <= hi  # the skill's own guess (unseen items) keeps the skill's bounds
    assert fitter.params_.metadata.get("guess_floors", {}) == dict(sorted(floor_map.items()))


def test_floored_items_share_a_guess_per_floor_without_multigs(seed: int) -> None:
    truth = SkillParams(
        prior=0.3, learn=0.15, guess=0.1, slip=0.1, item_guess={"s/item0": 0.5, "s/item1": 0.5}
    )
    data = simulated(truth, 300, 8, seed, items=4)
    floors = {"s/item0": 0.5, "s/item1": 0.5, "s/item2": 0.05}  # 0.05: no more than lo
    bounds = Bounds(guess=(0.05, 0.3), slip=(0.0, 0.3))
    f = BKTFitter(bounds=bounds, guess_floors=floors, random_state=seed).fit(data)
    p = f.params_["s"]
    assert dict(p.item_guess) == {"s/item0": 0.5, "s/item1": 0.5} and not p.item_slip
    assert abs(p.guess - 0.1) < 0.05 and abs(p.slip - 0.1) < 0.04
    assert f.report_["s"].at_bound == () and f.report_["s"].degenerate == ()
    plain = BKTFitter(bounds=bounds, random_state=seed).fit(data).params_["s"]
    assert plain.guess > p.guess + 0.05  # without the floors the easy items inflate the guess


def test_no_floors_no_change(seed: int) -> None:
    data = simulated(TRUE_BKT, 40, 8, seed, items=3)
    a = BKTFitter(random_state=seed).fit(data).params_
    b = BKTFitter(random_state=seed, guess_floors={"other/item": 0.25}).fit(data).params_
    assert dict(a.skills) == dict(b.skills)


def test_item_shrinkage_moves_item_values_toward_the_skill_value(seed: int) -> None:
    guesses = {"s/item0": 0.05, "s/item1": 0.15, "s/item2": 0.3, "s/item3": 0.45}
    truth = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, item_guess=guesses)
    data = simulated(truth, 60, 8, seed, items=4)
    spreads = []
    for strength in (0.0, 10.0, 100.0, 10_000.0):
        p = (
            BKTFitter(multigs=True, priors=Priors(item_strength=strength), random_state=seed)
            .fit(data)
            .params_["s"]
        )
        spreads.append(max(abs(p.item_guess[i] - p.guess) for i in guesses))
    assert spreads[0] > spreads[1] > spreads[2] > spreads[3], spreads
    assert spreads[3] < 0.01 < spreads[0]


def test_empirical_bayes_pulls_a_thin_skill_to_the_population(seed: int) -> None:
    rng = np.random.default_rng(seed)
    skills = {
        f"k{j}": SkillParams(
            prior=0.4 + rng.uniform(-0.05, 0.05),
            learn=0.2 + rng.uniform(-0.03, 0.03),
            guess=0.25 + rng.uniform(-0.03, 0.03),
            slip=0.1 + rng.uniform(-0.02, 0.02),
        )
        for j in range(10)
    }
    skills["thin"] = SkillParams(prior=0.9, learn=0.6, guess=0.05, slip=0.3)
    data = simulated(model(skills), 200, 8, seed)
    thin = data.skill == data.skills.index("thin")
    keep = ~thin | (data.student < 2)  # the thin skill: 2 students x 8 answers
    data = data.take(keep)
    f = BKTFitter(priors=Priors(), empirical_bayes=True, random_state=seed).fit(data)
    hyper = f.hyperpriors_
    p = f.params_["thin"]
    for name in ("prior", "learn", "guess", "slip"):
        assert abs(getattr(p, name) - getattr(hyper, name).mode) < 0.1, (name, p, hyper)
    assert abs(hyper.guess.mode - 0.25) < 0.05 and abs(hyper.slip.mode - 0.1) < 0.05
    assert f.report_.settings["hyperpriors"] == hyper.to_dict()
    assert f.params_.metadata["empirical_bayes"] is True
    plain = BKTFitter(random_state=seed).fit(data).params_["thin"]
    assert abs(plain.learn - hyper.learn.mode) > abs(p.learn - hyper.learn.mode)


def test_empirical_bayes_needs_several_skills(seed: int) -> None:
    data = simulated(_two_skills(seed), 40, 8, seed)
    f = BKTFitter(priors=Priors.default(), empirical_bayes=True, random_state=seed).fit(data)
    g = BKTFitter(priors=Priors.default(), random_state=seed).fit(data)
    assert f.hyperpriors_ == Priors.default()
    assert dict(f.params_.skills) == dict(g.params_.skills)


def test_empirical_bayes_progress_counts_the_refit(seed: int) -> None:
    calls: list[tuple[int, int]] = []
    data = simulated(_school(seed, 3), 20, 5, seed)
    BKTFitter(
        restarts=2,
        empirical_bayes=True,
        random_state=seed,
        progress=lambda d, t: calls.append((d, t)),
    ).fit(data)
    assert calls == [(i, 9) for i in range(1, 10)]


def test_skills_below_the_minimum_are_kept_or_omitted(seed: int) -> None:
    school = _school(seed, 3)
    data = simulated(school, 30, 12, seed)
    few = data.skill != data.skills.index("k0")
    few |= data.student < 3  # k0: 3 students x 12 answers
    short = data.skill != data.skills.index("k1")
    short |= np.tile(np.arange(12), len(data) // 12) < 1  # k1: 30 students x 1 answer
    data = data.take(few & short)
    current = SkillParams(prior=0.5, learn=0.1, guess=0.2, slip=0.1)
    f = BKTFitter(below_min="keep", min_students=5, min_responses=32, random_state=seed).fit(
        data, keep={"k0": current}
    )
    assert f.params_["k0"] is current
    assert "k1" not in f.params_ and "k2" in f.params_
    assert set(f.log_likelihood_) == {"k2"}
    rep = f.report_
    assert (rep["k0"].source, rep["k0"].source_reason) == ("kept", "3 students < 5")
    assert rep["k1"].source == "omitted"
    assert rep["k1"].source_reason == "30 responses < 32; no parameters to keep"
    assert rep["k2"].source == "fitted" and not rep["k2"].flagged
    assert rep["k0"].flagged and "kept: 3 students < 5" in rep["k0"].flags()
    assert rep["k0"].log_likelihood < 0 and rep["k0"].iterations == 0
    assert f.params_.metadata["kept"] == ["k0"] and f.params_.metadata["omitted"] == ["k1"]
    doc = json.loads(json.dumps(rep.to_json_dict()))
    assert [r["source"] for r in doc["skills"]] == ["kept", "omitted", "fitted"]
    assert "omitted: 30 responses < 32" in rep.to_table()


def test_below_min_fit_fits_everything_and_refuses_keep(seed: int) -> None:
    data = simulated(TRUE_BKT, 3, 4, seed)
    f = BKTFitter(random_state=seed).fit(data)
    assert f.report_["s"].source == "fitted" and f.report_["s"].low_data
    with pytest.raises(ValueError, match="below_min='keep'"):
        BKTFitter().fit(data, keep=model())
    with pytest.raises(TypeError, match="SkillParams"):
        BKTFitter(below_min="keep").fit(data, keep={"s": {"prior": 0.3}})  # type: ignore[dict-item]


def test_service_fitter_has_the_services_settings() -> None:
    f = service_fitter()
    assert f.priors == Priors.default() and f.empirical_bayes
    assert f.bounds == Bounds.capped(0.3, 0.3) and f.below_min == "keep"
    assert (f.min_students, f.min_responses) == (SERVICE_MIN_STUDENTS, SERVICE_MIN_RESPONSES)
    assert f.convergence == "absolute"
    g = service_fitter(bounds=Bounds.capped(0.25, 0.2), restarts=3)
    assert g.bounds == Bounds.capped(0.25, 0.2) and g.restarts == 3 and g.empirical_bayes


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"below_min": "skip"}, ValueError, "below_min"),
        ({"min_students": -1}, ValueError, "min_students"),
        ({"priors": {"guess": (2, 8)}}, TypeError, "Priors"),
        ({"guess_floors": {"x": 1.5}}, ParamsError, r"guess_floors\['x'\]"),
        ({"guess_floors": {3: 0.25}}, ParamsError, "strings"),
    ],
)
def test_bad_small_data_settings_are_refused(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        BKTFitter(**kwargs)  # type: ignore[arg-type]
