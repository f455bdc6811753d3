"""FitReport: flags for degenerate, low-data and bound-pinned skills; table and JSON forms."""

from __future__ import annotations

import json

from engine.bounds import Bounds
from engine.fit import BKTFitter
from engine.params import ModelParams, SkillParams
from engine.report import (
    bound_hits,
    degeneracy_reasons,
    degenerate_skills,
    gate_reasons,
    pinned_reasons,
)
from tests.factories import TRUE_BKT, model, sequences, simulated


def test_degenerate_parameters_are_explained() -> None:
    assert degeneracy_reasons(TRUE_BKT) == ()
    p = SkillParams(prior=0.3, learn=0.1, guess=0.7, slip=0.6, item_guess={"x": 0.55})
    reasons = " | ".join(degeneracy_reasons(p))
    assert "guess 0.700 > 1 - slip 0.400" in reasons
    assert "guess 0.700 > 0.5" in reasons and "slip 0.600 > 0.5" in reasons
    assert "(item 'x')" in reasons


def test_bound_hits_ignore_the_natural_limits() -> None:
    p = SkillParams(prior=0.0, learn=1.0, guess=0.3, slip=0.1, item_slip={"x": 0.3})
    assert bound_hits(p, Bounds()) == ()
    assert bound_hits(p, Bounds.capped(0.3, 0.3)) == ("guess", "slip[x]")


def test_fitted_report_flags_degenerate_and_low_data_skills(seed: int) -> None:
    """Crafted data: skill "flip" is answered correctly mostly by students who have *not*
    practised it (many first answers right, then wrong), "tiny" has 6 responses."""
    rows = [("flip", f"u{i}", [1, 1, 0, 0, 0, 0]) for i in range(40)]
    rows += [("tiny", "a", [1, 0, 1]), ("tiny", "b", [0, 1, 1])]
    data = sequences(rows)
    fitter = BKTFitter(random_state=seed, min_responses=20, min_students=5).fit(data)
    rep = fitter.report_
    assert rep["flip"].degenerate, fitter.params_["flip"]
    assert rep["tiny"].low_data == ("6 responses < 20", "2 students < 5")
    assert not rep["flip"].low_data
    assert {r.skill for r in rep.flagged} >= {"flip", "tiny"}


def test_table_and_json_forms(seed: int) -> None:
    data = simulated(model({"fractions": TRUE_BKT}), 60, 8, seed)
    rep = BKTFitter(random_state=seed, max_iter=2).fit(data).report_
    table = rep.to_table()
    assert "fractions" in table and "not converged" in table
    assert table.splitlines()[0].split()[:3] == ["skill", "responses", "students"]
    assert table.endswith("1 skill(s), 1 flagged")
    doc = json.loads(json.dumps(rep.to_json_dict()))
    row = doc["skills"][0]
    assert row["skill"] == "fractions" and row["n_responses"] == 480 and row["n_students"] == 60
    assert row["converged"] is False and row["iterations"] == 2
    assert doc["settings"]["max_iter"] == 2
    assert str(rep) == table


# ---- the service gate's checks ----------------------------------------------------------------


def test_guess_equal_to_one_minus_slip_is_degenerate_too() -> None:
    p = SkillParams(prior=0.3, learn=0.1, guess=0.4, slip=0.6)
    assert "guess 0.400 >= 1 - slip 0.400" in degeneracy_reasons(p)


def test_an_item_at_its_own_floor_is_not_degenerate_for_its_guess() -> None:
    p = SkillParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1, item_guess={"tf": 0.6, "mc": 0.6})
    reasons = degeneracy_reasons(p, guess_floors={"tf": 0.6, "mc": 0.25})
    assert reasons == ("guess 0.600 > 0.5 (item 'mc')",)


def test_learn_or_prior_pinned_at_an_edge_or_a_bound() -> None:
    assert pinned_reasons(TRUE_BKT) == ()
    p = SkillParams(prior=1.0 - 1e-7, learn=0.0, guess=0.2, slip=0.1, class_prior={"A": 0.5})
    assert pinned_reasons(p) == ("prior 1 pinned at edge 1", "learn 0 pinned at edge 0")
    q = SkillParams(prior=0.3, learn=0.4, guess=0.2, slip=0.1, item_learn={"x": 0.02})
    bounds = Bounds(learn=(0.02, 0.4))
    assert pinned_reasons(q, bounds) == (
        "learn 0.4 pinned at bound 0.4",
        "learn 0.02 pinned at bound 0.02 (item 'x')",
    )
    assert gate_reasons(q, bounds) == degeneracy_reasons(q) + pinned_reasons(q, bounds)


def test_degenerate_skills_checks_a_whole_set_with_its_recorded_bounds_and_floors() -> None:
    ok = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, item_guess={"tf": 0.55})
    bad = SkillParams(prior=0.3, learn=0.3, guess=0.6, slip=0.1)
    params = ModelParams(
        skills={"ok": ok, "bad": bad},
        metadata={"bounds": Bounds(learn=(0.0, 0.3)).to_dict(), "guess_floors": {"tf": 0.55}},
    )
    found = degenerate_skills(params)
    assert set(found) == {"bad"}
    assert found["bad"] == ("guess 0.600 > 0.5", "learn 0.3 pinned at bound 0.3")
    assert set(degenerate_skills(params, bounds=Bounds(), guess_floors={})) == {"ok", "bad"}


def test_bound_hits_use_an_items_floor() -> None:
    p = SkillParams(
        prior=0.3, learn=0.1, guess=0.2, slip=0.1, item_guess={"mc": 0.25, "tf": 0.5, "x": 0.3}
    )
    floors = {"mc": 0.25, "tf": 0.5}
    # mc sits on its floor (a bound), tf's floor above the cap fixes it, x hits the cap
    assert bound_hits(p, Bounds.capped(0.3, 0.3), floors) == ("guess[mc]", "guess[x]")


def test_fitted_report_flags_a_learn_pinned_at_its_bound(seed: int) -> None:
    rows = [("fast", f"u{i}", [0, 0, 1, 1, 1, 1, 1, 1]) for i in range(30)]
    f = BKTFitter(bounds=Bounds(learn=(0.0, 0.05)), random_state=seed).fit(sequences(rows))
    assert f.params_["fast"].learn == 0.05
    assert "learn 0.05 pinned at bound 0.05" in f.report_["fast"].degenerate
    assert f.report_["fast"].at_bound == ("learn",)
