"""The activation gate: every degenerate kind refused, worse predictions refused, the split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.fit import service_fitter
from engine.gate import evaluate, newest_mask, older_part
from engine.params import ModelParams, SkillParams
from engine.predict import predict
from tests.factories import TRUE_BKT, model, simulated

GOOD = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (replace(GOOD, guess=0.6), "guess 0.600 > 0.5"),
        (replace(GOOD, slip=0.55), "slip 0.550 > 0.5"),
        (replace(GOOD, guess=0.45, slip=0.55), "1 - slip"),
        (replace(GOOD, learn=1.0), "learn 1 pinned at edge 1"),
        (replace(GOOD, prior=0.0), "prior 0 pinned at edge 0"),
        (replace(GOOD, item_guess={"q": 0.95}), "(item 'q')"),
    ],
)
def test_each_kind_of_degenerate_set_is_refused(bad: SkillParams, why: str) -> None:
    candidate = model({"a": GOOD, "b": bad})
    verdict = evaluate(candidate, model({"a": GOOD, "b": GOOD}), None)
    assert not verdict.passed
    assert list(verdict.degenerate) == ["b"]
    assert any("skill 'b' is degenerate" in r and why in r for r in verdict.reasons), verdict


def test_an_item_at_its_own_guess_floor_is_not_degenerate() -> None:
    two_choice = replace(GOOD, item_guess={"yes-no": 0.5}, slip=0.1)
    verdict = evaluate(model({"a": two_choice}), model({"a": GOOD}), None, guess_floors={})
    assert verdict.passed, verdict.reasons


def test_newest_rows_are_the_last_share_of_the_log(seed: int) -> None:
    data = simulated(TRUE_BKT, 50, 10, seed)
    newest = newest_mask(data, 0.2)
    assert newest.sum() == 100 and data.row[newest].min() > data.row[~newest].max()
    older = older_part(data, newest)
    assert older is not None and len(older) == 400
    with pytest.raises(ValueError, match="share"):
        newest_mask(data, 1.0)


def test_a_set_that_predicts_the_newest_answers_worse_is_refused(seed: int) -> None:
    truth = model({"s": TRUE_BKT})
    data = simulated(truth, 80, 10, seed)
    wrong = model({"s": SkillParams(prior=0.9, learn=0.02, guess=0.3, slip=0.3)})
    refused = evaluate(wrong, truth, data)
    assert not refused.passed and refused.overall is not None
    assert refused.overall.n == 160
    assert refused.overall.candidate.log_loss > refused.overall.current.log_loss
    assert any("log-loss" in r for r in refused.reasons)
    assert "s" in refused.per_skill
    passed = evaluate(truth, wrong, data)
    assert passed.passed, passed.reasons


def test_a_refit_on_the_older_answers_is_what_gets_scored(seed: int) -> None:
    truth = model({"s": TRUE_BKT})
    data = simulated(truth, 80, 10, seed)
    newest = newest_mask(data)
    older = older_part(data, newest)
    assert older is not None
    refit = service_fitter(random_state=seed, n_jobs=1).fit(older).params_
    cold = model({"s": SkillParams(prior=0.5, learn=0.3, guess=0.3, slip=0.2)})
    verdict = evaluate(truth, cold, data, newest, scored_candidate=refit)
    assert verdict.overall is not None
    scored = verdict.overall.candidate.log_loss
    p = np.clip(predict(refit, data)[newest], 1e-15, 1.0)
    y = data.correct[newest]
    assert scored == pytest.approx(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))


def test_too_few_newest_answers_skip_the_comparison_without_refusing(seed: int) -> None:
    data = simulated(TRUE_BKT, 5, 4, seed)  # 20 answers: 4 newest
    verdict = evaluate(model({"s": GOOD}), model({"s": GOOD}), data)
    assert verdict.passed and verdict.overall is None and verdict.test_rows == 4
    doc = verdict.to_json_dict()
    assert doc["passed"] is True and doc["overall"] is None


def test_verdict_json_round_trips_every_number(seed: int) -> None:
    data = simulated(TRUE_BKT, 60, 8, seed)
    verdict = evaluate(model({"s": GOOD}), model({"s": TRUE_BKT}), data)
    doc = verdict.to_json_dict()
    assert doc["test_rows"] == 96 and set(doc["overall"]) == {
        "n",
        "log_loss_diff_se",
        "candidate",
        "current",
    }
    assert ModelParams.from_json_dict(model({"s": GOOD}).to_json_dict()).skills["s"] == GOOD
