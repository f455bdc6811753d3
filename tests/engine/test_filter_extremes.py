"""The filter survives every parameter set the loader accepts (0 and 1 included, per item).

A fit with per-item guess/slip can put an item's guess at exactly 1 and slip at 0;
rounding then made P(correct) 1 + 2e-16 and a wrong answer to it made the update
divide 0 by 0, so `pathways evaluate` stopped on non-probabilities.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluate import evaluate
from engine.params import ModelParams, SkillParams
from engine.predict import predict_trace
from engine.trace import trace
from tests.factories import sequences

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Edges and their neighbours come up far more often than a uniform draw would make them.
extreme = st.one_of(
    st.sampled_from([0.0, 1.0, 5e-324, 1e-300, 1e-16, 1.0 - 1e-16, 0.5]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
ITEMS = ("a", "b", "c")


@st.composite
def item_params(draw: st.DrawFn) -> SkillParams:
    return SkillParams(
        prior=draw(extreme),
        learn=draw(extreme),
        guess=draw(extreme),
        slip=draw(extreme),
        forget=draw(extreme),
        item_guess={i: draw(extreme) for i in ITEMS},
        item_slip={i: draw(extreme) for i in ITEMS},
        item_learn={i: draw(extreme) for i in ITEMS},
        item_forget={i: draw(extreme) for i in ITEMS},
    )


steps = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(ITEMS)), min_size=1, max_size=80)


def _in_unit(*arrays: np.ndarray) -> None:
    for arr in arrays:
        assert np.all(np.isfinite(arr)), arr
        assert np.all((arr >= 0.0) & (arr <= 1.0)), arr


@FAST
@given(p=item_params(), obs=steps)
def test_filter_outputs_are_probabilities_for_any_accepted_parameters(
    p: SkillParams, obs: list[tuple[int, str]]
) -> None:
    correct = [c for c, _ in obs]
    items = [i for _, i in obs]
    model = ModelParams(skills={"s": p}, forgets=True, multigs=True, multilearn=True)
    # the loader accepts it, so the filter must take it
    ModelParams.from_json_dict(model.to_json_dict())
    t = trace(p, correct, items=items)
    pred = predict_trace(model, sequences([("s", "u", correct)], items=[items]))
    _in_unit(t.p_correct, t.posterior, t.mastery, pred.p_correct, pred.mastery)
    m = evaluate(model, sequences([("s", "u", correct)], items=[items]))
    assert m.n == len(obs)


def test_certain_item_answered_wrong_keeps_the_belief_and_scores() -> None:
    """The reported case: guess 1 and slip 0 on an item (the model is sure of a right
    answer whatever the state); a wrong answer is impossible, the belief is kept."""
    p = SkillParams(
        prior=0.8258835500967461,
        learn=0.19637431078992373,
        guess=0.5389274882513554,
        slip=0.061408872080634155,
        forget=0.027455698802244646,
        item_guess={"sure": 1.0},
        item_slip={"sure": 0.0},
    )
    # unclipped, this sequence's 8th P(correct) is u + k = 1 + 2.2e-16
    items = ["x"] * 7 + ["sure", "sure", "x"] + ["sure"] * 5 + ["x", "x", "sure"]
    correct = [0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0]
    t = trace(p, correct, items=items)
    _in_unit(t.p_correct, t.posterior, t.mastery)
    sure = [i for i, it in enumerate(items) if it == "sure"]
    assert all(abs(t.p_correct[i] - 1.0) <= 1e-15 for i in sure)
    assert t.p_correct[7] == 1.0  # clipped, not 1 + 1 ulp
    # the impossible wrong answers (8 and 17) leave the belief where the prediction had it
    for i in (8, 17):
        assert correct[i] == 0 and items[i] == "sure"
        assert t.posterior[i] == t.mastery[i - 1]
    model = ModelParams(skills={"s": p}, forgets=True, multigs=True)
    m = evaluate(model, sequences([("s", "u", correct)], items=[items]))
    assert np.isfinite(m.log_loss) and m.n == len(correct)
