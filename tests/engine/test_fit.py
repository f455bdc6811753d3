"""BKTFitter: estimator contract, restarts, bounds, convergence rules, variants."""

from __future__ import annotations

import math

import pytest

from engine.bounds import Bounds
from engine.fit import BKTFitter
from engine.params import ModelParams, ParamsError, SkillParams
from tests.factories import TRUE_BKT, model, sequences, simulated


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
