"""Math invariants of inference and fitting, checked with hypothesis."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.bounds import Bounds
from engine.fit import BKTFitter
from engine.params import ModelParams, ParamsError, SkillParams
from engine.predict import predict_trace
from engine.trace import Belief, trace, update
from tests.factories import answers, inner_probability, model, sequences, simulated, skill_params

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(p=skill_params(), obs=answers)
def test_every_probability_stays_in_unit_interval(p: SkillParams, obs: list[int]) -> None:
    t = trace(p, obs)
    pred = predict_trace(model({"s": p}), sequences([("s", "u", obs)]))
    for arr in (t.p_correct, t.posterior, t.mastery, pred.p_correct, pred.mastery):
        assert np.all((arr >= 0.0) & (arr <= 1.0)), arr


@FAST
@given(p=skill_params(forget=False), m=st.floats(0.0, 1.0))
def test_a_correct_answer_never_lowers_mastery_without_forgetting(p: SkillParams, m: float) -> None:
    assume(p.guess < 1.0 - p.slip)
    u = update(p, m, True)
    assert u.posterior >= m - 1e-12
    assert u.mastery >= m - 1e-12


@FAST
@given(p=skill_params(), obs=answers)
def test_batch_trace_equals_repeated_single_updates(p: SkillParams, obs: list[int]) -> None:
    t = trace(p, obs)
    b: float | Belief = p.prior
    for i, o in enumerate(obs):
        u = update(p, b, bool(o))
        assert (u.p_correct, u.posterior, u.mastery) == (
            t.p_correct[i],
            t.posterior[i],
            t.mastery[i],
        )
        b = u.belief


@FAST
@given(p=skill_params(), obs=answers)
def test_predict_equals_trace_to_the_bit(p: SkillParams, obs: list[int]) -> None:
    """Both carry the belief as the pair (P(known), P(unknown)) with the same operations."""
    t = trace(p, obs)
    pred = predict_trace(model({"s": p}), sequences([("s", "u", obs)]))
    np.testing.assert_array_equal(pred.p_correct, t.p_correct)
    np.testing.assert_array_equal(pred.mastery, t.mastery)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    truth=skill_params(inner=True),
    seed=st.integers(0, 2**31 - 1),
    forgets=st.booleans(),
    cap=st.sampled_from([None, 0.3]),
)
def test_log_likelihood_never_decreases_across_em_iterations(
    truth: SkillParams, seed: int, forgets: bool, cap: float | None
) -> None:
    data = simulated(truth, 40, 8, seed)
    bounds = Bounds.capped(cap, cap) if cap is not None else None
    fitter = BKTFitter(
        forgets=forgets,
        bounds=bounds,
        max_iter=25,
        tol=0.0,
        convergence="absolute",
        random_state=seed,
        n_jobs=1,
    ).fit(data)
    h = fitter.history_["s"]
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), (seed, h)


@st.composite
def model_params(draw: st.DrawFn) -> ModelParams:
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3, unique=True))
    skills = {}
    for n in names:
        base = draw(skill_params())
        items = draw(
            st.dictionaries(st.text(min_size=1, max_size=5), inner_probability, max_size=3)
        )
        skills[n] = replace(base, item_guess=items, class_prior=items)
    return ModelParams(
        skills=skills,
        forgets=draw(st.booleans()),
        multigs=draw(st.booleans()),
        metadata={"note": draw(st.text(max_size=10))},
    )


@FAST
@given(params=model_params())
def test_model_params_json_round_trip(params: ModelParams) -> None:
    again = ModelParams.from_json_dict(json.loads(json.dumps(params.to_json_dict())))
    assert again.to_json_dict() == params.to_json_dict()
    assert dict(again.skills) == dict(params.skills)


bad_value = st.one_of(
    st.floats(allow_nan=False, allow_infinity=True).filter(lambda v: v < 0 or v > 1),
    st.just(math.nan),
)


@FAST
@given(field=st.sampled_from(["prior", "learn", "guess", "slip", "forget"]), value=bad_value)
def test_skill_params_rejects_bad_values_naming_the_field(field: str, value: float) -> None:
    args: dict[str, Any] = {"prior": 0.3, "learn": 0.1, "guess": 0.2, "slip": 0.1, field: value}
    with pytest.raises(ParamsError, match=field):
        SkillParams(**args)
