"""FitReport: flags for degenerate, low-data and bound-pinned skills; table and JSON forms."""

from __future__ import annotations

import json

from engine.bounds import Bounds
from engine.fit import BKTFitter
from engine.params import SkillParams
from engine.report import bound_hits, degeneracy_reasons
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
