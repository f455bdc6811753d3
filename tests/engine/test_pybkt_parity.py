"""Parity with pyBKT 1.4.3's compiled build: same EM path from the same start, same predictions.

pyBKT's compiled E-step has a bug: it reads only the *first* resource's learn/
forget and the first gs class's guess/slip (a loop variable is never reset)
unless `fixed` carries per-class entries. We call `EM_fit` with all-negative
`fixed` arrays ("not fixed"), which makes it read every class as intended;
`test_pybkt_estep_reads_only_first_class_without_the_workaround` pins the bug
down so the workaround can go when pyBKT is fixed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.fit import BKTFitter
from engine.params import ModelParams, SkillParams
from engine.predict import predict
from engine.pybkt_compat import (
    from_coef,
    from_pybkt,
    pybkt_data,
    skill_from_pybkt,
    skill_to_pybkt,
    to_coef,
    to_pybkt,
)
from engine.responses import Responses
from engine.simulate import simulate
from tests.factories import model, simulated

pytest.importorskip("pyBKT.fit.E_step", reason="pyBKT's compiled build is not installed")

from pyBKT.fit import E_step, EM_fit, predict_onestep

# pyBKT's data_helper uses pandas idioms that pandas 3 deprecates; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:pyBKT.util.data_helper")

VARIANTS: dict[str, dict[str, Any]] = {
    "bkt": {},
    "forgets": {"forgets": True},
    "multigs": {"multigs": True},
    "multilearn": {"multilearn": True},
    "multilearn+forgets": {"multilearn": True, "forgets": True},
}
START = SkillParams(prior=0.4, learn=0.2, guess=0.25, slip=0.15, forget=0.0)


def _unfixed(m: dict[str, Any]) -> dict[str, np.ndarray]:
    r, g = len(m["learns"]), len(m["guesses"])
    return {"learn": -np.ones(r), "forget": -np.ones(r), "guess": -np.ones(g), "slip": -np.ones(g)}


def _start(variant: dict[str, bool]) -> SkillParams:
    return SkillParams(**{**START.to_dict(), "forget": 0.1 if variant.get("forgets") else 0.0})


def _pybkt_em(
    data: Responses, skill: str, start: SkillParams, variant: dict[str, bool], **kw: Any
) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    d, res, gs = pybkt_data(
        data,
        skill,
        multigs=variant.get("multigs", False),
        multilearn=variant.get("multilearn", False),
    )
    m = skill_to_pybkt(
        start,
        resource_names=res if variant.get("multilearn") else None,
        gs_names=gs if variant.get("multigs") else None,
    )
    fitted, lls = EM_fit.EM_fit(copy.deepcopy(m), d, fixed=_unfixed(m), **kw)
    fitted["resource_names"], fitted["gs_names"] = res, gs
    return fitted, lls, d


def _assert_same(ours: SkillParams, theirs: SkillParams, tol: float = 1e-4) -> None:
    for name in ("prior",):
        assert abs(getattr(ours, name) - getattr(theirs, name)) < tol, name
    maps = (
        ("guess", ours.item_guess, theirs.item_guess),
        ("slip", ours.item_slip, theirs.item_slip),
        ("learn", ours.item_learn, theirs.item_learn),
        ("forget", ours.item_forget, theirs.item_forget),
    )
    for name, a, b in maps:
        if a or b:
            for item, v in b.items():
                assert abs(a.get(item, getattr(ours, name)) - v) < tol, (name, item)
        else:
            assert abs(getattr(ours, name) - getattr(theirs, name)) < tol, name


def _check_skill(data: Responses, skill: str, variant: dict[str, Any]) -> None:
    start = _start(variant)
    fitter = BKTFitter(n_jobs=1, **variant).fit(
        data.for_skills([skill]), initial=model({skill: start}, **variant)
    )
    theirs_model, lls, d = _pybkt_em(data, skill, start, variant)
    assert fitter.n_iter_[skill] == len(lls)
    theirs = skill_from_pybkt(theirs_model)
    _assert_same(fitter.params_[skill], theirs)
    # predictions of the fitted models, each engine on its own parameters
    ours_p = predict(fitter.params_, data.for_skills([skill]))
    theirs_p, _ = predict_onestep.run(theirs_model, d, fixed=_unfixed(theirs_model))
    np.testing.assert_allclose(ours_p, theirs_p, rtol=0, atol=1e-4)


def _generated(variant: dict[str, bool], seed: int) -> Responses:
    truth = SkillParams(
        prior=0.35,
        learn=0.2,
        guess=0.2,
        slip=0.12,
        forget=0.05 if variant.get("forgets") else 0,
        item_guess={"s/item0": 0.1, "s/item1": 0.3},
        item_learn={"s/item0": 0.1, "s/item2": 0.3},
    )
    return simulated(truth, 60, 10, seed, items=3)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_em_and_predictions_match_pybkt_on_generated_data(name: str, seed: int) -> None:
    _check_skill(_generated(VARIANTS[name], seed), "s", VARIANTS[name])


@pytest.mark.parametrize("name", ["bkt", "forgets", "multigs", "multilearn"])
def test_em_and_predictions_match_pybkt_on_cognitive_tutor(name: str, shared_data: Path) -> None:
    from engine.io import load_responses

    data = load_responses(shared_data / "cognitive_tutor" / "ct.csv", format="ct")
    sizes = np.bincount(data.skill, minlength=len(data.skills))
    for k in np.argsort(sizes)[:4]:  # the four smallest skills keep this fast
        _check_skill(data, data.skills[int(k)], VARIANTS[name])


def test_fixed_iteration_counts_match_without_the_convergence_rule(seed: int) -> None:
    """tol=-1 never converges in pyBKT; tol=0 never does in ours: both run max_iter steps."""
    data = _generated({"forgets": True}, seed)
    start = _start({"forgets": True})
    ours = BKTFitter(forgets=True, max_iter=40, tol=0.0, n_jobs=1).fit(
        data, initial=model({"s": start}, forgets=True)
    )
    theirs, lls, _ = _pybkt_em(data, "s", start, {"forgets": True}, tol=-1.0, maxiter=40)
    assert ours.n_iter_["s"] == len(lls) == 40
    _assert_same(ours.params_["s"], skill_from_pybkt(theirs), tol=1e-8)


def test_pybkt_estep_reads_only_first_class_without_the_workaround(seed: int) -> None:
    data = _generated({"multigs": True}, seed)
    d, _, gs = pybkt_data(data, "s", multigs=True)
    a = skill_to_pybkt(
        SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, item_guess={"s/item1": 0.6}),
        gs_names=gs,
    )
    b = skill_to_pybkt(SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1), gs_names=gs)
    alpha = [E_step.run(d, m, 1, 0, {})["alpha"] for m in (a, b)]
    assert np.array_equal(alpha[0], alpha[1]), "pyBKT now reads every class: drop the workaround"
    alpha = [E_step.run(d, m, 1, 0, _unfixed(m))["alpha"] for m in (a, b)]
    assert not np.array_equal(alpha[0], alpha[1])


def test_pybkt_loglikelihood_is_truncated_to_an_integer(seed: int) -> None:
    """Why convergence='pybkt' compares truncated log-likelihoods."""
    data = _generated({}, seed)
    d, _, _ = pybkt_data(data, "s")
    ll = E_step.run(d, skill_to_pybkt(START), 1, 0, {})["total_loglike"]
    assert isinstance(ll, int)


def _small_frame(seed: int) -> tuple[ModelParams, Any]:
    import pandas as pd

    from engine.io import to_pybkt_frame

    truth = ModelParams(
        skills={"a": START, "b": SkillParams(prior=0.6, learn=0.1, guess=0.3, slip=0.2)}
    )
    data = simulate(truth, 50, 8, np.random.default_rng(seed))
    frame: pd.DataFrame = to_pybkt_frame(data)
    return truth, frame


def test_from_pybkt_gives_the_same_predictions(seed: int) -> None:
    from pyBKT.models import Model

    from engine.io.mapping import from_frame
    from engine.io.pybkt import preset

    _, frame = _small_frame(seed)
    m = Model(seed=seed, num_fits=1)
    m.fit(data=frame.copy(), forgets=True)
    ours = predict(from_pybkt(m), from_frame(frame, preset(list(frame.columns))))
    theirs = m.predict(data=frame.copy()).sort_index()["correct_predictions"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_to_pybkt_and_coef_round_trips(seed: int) -> None:
    from engine.io.mapping import from_frame
    from engine.io.pybkt import preset

    truth, frame = _small_frame(seed)
    m = to_pybkt(truth)
    theirs = m.predict(data=frame.copy()).sort_index()["correct_predictions"].to_numpy()
    ours = predict(truth, from_frame(frame, preset(list(frame.columns))))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    again = from_coef(to_coef(truth))
    assert dict(again.skills) == dict(truth.skills)
    assert dict(from_pybkt(m).skills) == dict(truth.skills)


def test_multi_class_conversion_round_trips() -> None:
    p = SkillParams(
        prior=0.3,
        learn=0.2,
        guess=0.2,
        slip=0.1,
        item_guess={"x": 0.1, "y": 0.4},
        item_slip={"x": 0.05, "y": 0.2},
        item_learn={"x": 0.3, "y": 0.1},
    )
    fm = skill_to_pybkt(p, resource_names={"x": 1, "y": 2}, gs_names={"x": 0, "y": 1})
    back = skill_from_pybkt(fm)
    assert dict(back.item_guess) == dict(p.item_guess)
    assert dict(back.item_slip) == dict(p.item_slip)
    assert dict(back.item_learn) == dict(p.item_learn)
    cp = SkillParams(prior=0.5, learn=0.2, guess=0.2, slip=0.1, class_prior={"A": 0.1, "B": 0.7})
    fm = skill_to_pybkt(cp, resource_names={"Default": 1, "A": 2, "B": 3}, multiprior=True)
    assert fm["prior"] == 0.0 and list(fm["learns"]) == [0.2, 0.1, 0.7]
    assert dict(skill_from_pybkt(fm, multiprior=True).class_prior) == {"A": 0.1, "B": 0.7}


@pytest.mark.parametrize("forgets", [False, True])
def test_fitting_from_pybkts_random_start_reproduces_its_fit(seed: int, forgets: bool) -> None:
    from pyBKT.models import Model

    from engine.io.mapping import from_frame
    from engine.io.pybkt import preset
    from engine.pybkt_compat import pybkt_random_starts

    _, frame = _small_frame(seed)
    m = Model(seed=seed, num_fits=1)
    m.fit(data=frame.copy(), forgets=forgets)
    data = from_frame(frame, preset(list(frame.columns)))
    starts = pybkt_random_starts(frame, seed, forgets=forgets)
    ours = BKTFitter(forgets=forgets).fit(data, initial=starts).params_
    theirs = from_pybkt(m)
    for name in ("a", "b"):
        _assert_same(ours[name], theirs[name], tol=1e-8)
