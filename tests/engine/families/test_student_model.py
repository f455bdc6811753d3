"""StudentModel: zero shifts are plain BKT to the bit, probabilities stay in [0, 1], the JSON
round trip, and clear errors for bad files and bad family requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.families.io import load_model
from engine.families.population import Population
from engine.families.spec import FamilyError, check_family, check_items, make_fitter
from engine.families.student_model import StudentModel
from engine.params import ModelParams, ParamsError, SkillParams
from engine.predict import predict_trace
from engine.responses import Responses
from tests.factories import sequences

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
extreme = st.one_of(
    st.sampled_from([0.0, 1.0, 1e-300, 1.0 - 1e-16]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
ITEMS = ("a", "b")


@st.composite
def skill(draw: st.DrawFn) -> SkillParams:
    return SkillParams(
        prior=draw(extreme),
        learn=draw(extreme),
        guess=draw(extreme),
        slip=draw(extreme),
        forget=draw(extreme),
        item_guess={i: draw(extreme) for i in ITEMS},
        item_slip={i: draw(extreme) for i in ITEMS},
    )


answers = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(ITEMS)), min_size=1, max_size=40)


def _data(obs1: list[tuple[int, str]], obs2: list[tuple[int, str]]) -> Responses:
    return sequences(
        [("s", "u1", [c for c, _ in obs1]), ("t", "u1", [c for c, _ in obs2]),
         ("s", "u2", [c for c, _ in obs2])],
        items=[[i for _, i in obs1], [i for _, i in obs2], [i for _, i in obs2]],
    )  # fmt: skip


@FAST
@given(p=skill(), q=skill(), obs1=answers, obs2=answers)
def test_zero_shifts_reproduce_plain_bkt_to_the_bit(
    p: SkillParams, q: SkillParams, obs1: list[tuple[int, str]], obs2: list[tuple[int, str]]
) -> None:
    base = ModelParams(skills={"s": p, "t": q}, forgets=True, multigs=True)
    data = _data(obs1, obs2)
    plain = predict_trace(base, data)
    point = StudentModel(base=base, population=Population.point()).predict_trace(data)
    # a grid whose only weighted point is (0, 0)
    grid = Population((-1.0, 0.0, 2.0), (0.0, 1.0), ((0.0, 0.0), (1.0, 0.0), (0.0, 0.0)))
    padded = StudentModel(base=base, population=grid).predict_trace(data)
    for pred in (point, padded):
        assert np.array_equal(pred.p_correct, plain.p_correct)
        assert np.array_equal(pred.mastery, plain.mastery)


@FAST
@given(
    p=skill(),
    q=skill(),
    obs1=answers,
    obs2=answers,
    w=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6).filter(lambda v: sum(v) > 0.01),
)
def test_every_probability_stays_in_the_unit_interval(
    p: SkillParams,
    q: SkillParams,
    obs1: list[tuple[int, str]],
    obs2: list[tuple[int, str]],
    w: list[float],
) -> None:
    base = ModelParams(skills={"s": p, "t": q}, forgets=True, multigs=True)
    weights = np.array(w).reshape(3, 2) / sum(w)
    pop = Population.from_array(np.array([-6.0, 0.0, 6.0]), np.array([-3.0, 3.0]), weights)
    pred = StudentModel(base=base, population=pop).predict_trace(_data(obs1, obs2))
    for arr in (pred.p_correct, pred.mastery):
        assert np.all(np.isfinite(arr)) and np.all((arr >= 0.0) & (arr <= 1.0)), arr
    for a, b in pred.shifts.values():
        assert -6.0 - 1e-9 <= a <= 6.0 + 1e-9 and -3.0 - 1e-9 <= b <= 3.0 + 1e-9


def test_json_round_trip_and_plain_readers(tmp_path: Path) -> None:
    base = ModelParams(skills={"s": SkillParams(prior=0.4, learn=0.2, guess=0.2, slip=0.1)})
    pop = Population.gaussian((-1.0, 0.0, 1.0), (0.0,), 1.0, 0.0)
    model = StudentModel(base=base, population=pop, students={"u1": (0.5, 0.0)})
    path = tmp_path / "m.json"
    model.save(path)
    back = load_model(path)
    assert isinstance(back, StudentModel)
    assert back.population == pop and dict(back.students) == {"u1": (0.5, 0.0)}
    assert back.base.skills == base.skills
    # a reader that knows only BKT gets the skill terms (every student at shift 0)
    assert ModelParams.load(path).skills == base.skills
    assert isinstance(load_model(tmp_path / "m.json"), StudentModel)
    base.save(tmp_path / "b.json")
    assert isinstance(load_model(tmp_path / "b.json"), ModelParams)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["population"].update(weights=[[0.5], [0.6], [0.1]]), "sum to 1"),
        (lambda d: d["population"].update(weights=[[1.0]]), "3 x 1"),
        (lambda d: d["population"].update(prior_shifts=[0.0, -1.0, 1.0]), "increasing"),
        (lambda d: d["population"].update(version=9), "unsupported version 9"),
        (lambda d: d["population"].pop("learn_shifts"), "missing field(s) ['learn_shifts']"),
        (lambda d: d["population"]["students"].update(u1=[1.0]), "students['u1']"),
    ],
)
def test_bad_population_sections_name_what_is_wrong(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], needle: str
) -> None:
    base = ModelParams(skills={"s": SkillParams(prior=0.4, learn=0.2, guess=0.2, slip=0.1)})
    pop = Population.gaussian((-1.0, 0.0, 1.0), (0.0,), 1.0, 0.0)
    data = StudentModel(base=base, population=pop).to_json_dict()
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ParamsError, match="population") as err:
        load_model(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_unknown_family_and_items_missing_are_clear_errors() -> None:
    with pytest.raises(FamilyError, match=r"unknown model family 'deep'.*'auto'"):
        check_family("deep")
    with pytest.raises(FamilyError, match="unknown model family"):
        make_fitter("irt")
    no_items = sequences([("s", "u", [0, 1, 1])])
    check_items("student", no_items)  # fine: needs no items
    for family in ("item", "full"):
        with pytest.raises(FamilyError, match=f"family '{family}' needs item ids"):
            check_items(family, no_items, "answers.csv")
        with pytest.raises(FamilyError, match="needs item ids"):
            make_fitter(family).fit(no_items)


def test_bkt_family_is_the_bkt_fitter_bit_for_bit() -> None:
    from engine.fit import BKTFitter
    from tests.factories import TRUE_BKT, simulated

    data = simulated(TRUE_BKT, 40, 12, seed=3)
    ours = make_fitter("bkt").fit(data).params_
    plain = BKTFitter(random_state=0).fit(data).params_
    assert ours.skills == plain.skills
    assert ours.metadata["family"] == "bkt"
    assert replace(ours, metadata={}).skills == plain.skills
