"""Should a new parameter set replace the one being served? The activation gate.

A set fitted on a school's first few hundred answers can be degenerate (a right
answer lowering mastery) or simply predict worse than what runs now. The gate
refuses a set when

* any skill is degenerate or pinned (`engine.report.degenerate_skills`: guess >=
  1 - slip, guess > 0.5, slip > 0.5, learn or prior at a bound), or
* it predicts the school's own most recent answers worse than the current set:
  a time split of the log (the newest `test_share` of responses, by log order),
  both sets scored on exactly the same rows, each student's earlier answers
  traced as history but not scored. Log-loss (a proper score) may not rise by more
  than one standard error of the paired per-answer difference (plus
  `log_loss_tolerance`): on a school's first few hundred answers two sets that
  are equally good differ by about that much, and refusing on noise would keep a
  school on its cold start forever. AUC may not fall by more than `auc_tolerance`.

The caller supplies the candidate already refitted on the older part when the
set came from a fit (so the newest answers are truly unseen); an uploaded set is
scored as it is. `NewestScores` makes the same comparison on a log read a skill at a
time, for a caller that never holds the whole log. Pure functions: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.bounds import Bounds
from engine.metrics import Metrics, compute_by_group, compute_scored
from engine.params import ModelParams
from engine.predict import predict
from engine.report import degenerate_skills
from engine.responses import Responses

TEST_SHARE = 0.2
MIN_TEST_ROWS = 30  # fewer newest answers than this say too little: the comparison is skipped
AUC_TOLERANCE = 0.02
LOG_LOSS_TOLERANCE = 0.0


def newest_mask(responses: Responses, share: float = TEST_SHARE) -> NDArray[np.bool_]:
    """True on the newest `share` of responses by log order (`Responses.row`)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"share must be in (0, 1), got {share!r}")
    n = len(responses)
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    order = np.sort(np.unique(responses.row))
    k = max(1, math.ceil(share * order.size))
    cutoff = order[order.size - k]
    return np.asarray(responses.row >= cutoff)


def older_part(responses: Responses, newest: NDArray[np.bool_]) -> Responses | None:
    """The responses before the split (what the candidate is refitted on); None if empty."""
    keep = ~newest
    return responses.take(keep) if bool(keep.any()) else None


@dataclass(frozen=True)
class Scores:
    """Both sets' metrics on the same rows (None where a metric is undefined)."""

    n: int
    candidate: Metrics
    current: Metrics
    diff_se: float = 0.0  # standard error of the mean per-answer log-loss difference

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "log_loss_diff_se": self.diff_se,
            "candidate": _metrics_json(self.candidate),
            "current": _metrics_json(self.current),
        }


def _metrics_json(m: Metrics) -> dict[str, float | None]:
    def clean(v: float) -> float | None:
        return None if not math.isfinite(v) else float(v)

    return {"log_loss": clean(m.log_loss), "auc": clean(m.auc), "rmse": clean(m.rmse)}


@dataclass(frozen=True)
class GateResult:
    """The decision and everything behind it, for the designer's page and the record."""

    passed: bool
    reasons: tuple[str, ...]
    degenerate: Mapping[str, tuple[str, ...]]
    overall: Scores | None
    per_skill: Mapping[str, Scores] = field(default_factory=dict)
    test_rows: int = 0
    settings: Mapping[str, float] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "degenerate": {k: list(v) for k, v in self.degenerate.items()},
            "overall": None if self.overall is None else self.overall.to_json_dict(),
            "per_skill": {k: v.to_json_dict() for k, v in sorted(self.per_skill.items())},
            "test_rows": self.test_rows,
            "settings": dict(self.settings),
        }


def _row_log_loss(y: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-15, 1.0 - 1e-15)
    out: NDArray[np.float64] = -(y * np.log(q) + (1.0 - y) * np.log(1.0 - q))
    return out


def _scored_rows(
    newest: NDArray[np.bool_], p_new: NDArray[np.float64], p_cur: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """The newest rows both sets predict (a skill a set has no parameters for is NaN)."""
    out: NDArray[np.bool_] = newest & ~np.isnan(p_new) & ~np.isnan(p_cur)
    return out


def _finish(
    y: NDArray[np.float64],
    p_new: NDArray[np.float64],
    p_cur: NDArray[np.float64],
    skill: NDArray[np.int32],
    names: tuple[str, ...],
) -> tuple[Scores | None, dict[str, Scores]]:
    """Overall (with the paired difference's standard error) and per-skill scores of the
    scored rows: outcome, both predictions and the skill code (into `names`) of each.
    `compare` and `NewestScores` both end here, so the two cannot drift."""
    if y.size == 0:
        return None, {}
    diff = _row_log_loss(y, p_new) - _row_log_loss(y, p_cur)
    se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else 0.0
    overall = Scores(int(y.size), compute_scored(y, p_new), compute_scored(y, p_cur), se)
    new_by = compute_by_group(y, p_new, skill, names)
    cur_by = compute_by_group(y, p_cur, skill, names)
    per_skill = {s: Scores(new_by[s].n, new_by[s], cur_by[s]) for s in new_by if s in cur_by}
    return overall, per_skill


def compare(
    candidate: ModelParams,
    current: ModelParams,
    responses: Responses,
    newest: NDArray[np.bool_],
) -> tuple[Scores | None, dict[str, Scores]]:
    """Score both sets on the newest rows both can predict (overall and per skill)."""
    p_new = predict(candidate, responses)
    p_cur = predict(current, responses)
    rows = _scored_rows(newest, p_new, p_cur)
    return _finish(
        responses.correct[rows].astype(np.float64),
        p_new[rows],
        p_cur[rows],
        responses.skill[rows],
        responses.skills,
    )


class NewestScores:
    """`compare`, streamed: the log added a block at a time (e.g. one skill's rows of
    every student, as `api.services.log_data.LogBlocks` reads them), the result the
    same as `compare` on the whole log with `newest = row >= cutoff`.

    A BKT prediction depends only on the same skill's earlier answers of the same
    student, so predicting a block that holds whole (skill, student) sequences gives each
    row the number the whole log gives it. The kept rows are regrouped by skill name
    (stably) before scoring, so whole-skill blocks in any order put them in the whole
    log's `Responses` order (skill, student, log order) and even the sums round the
    same; blocks that split a skill differ from `compare` only by that rounding.

    **Memory bound:** 4 numbers per newest row kept (outcome, both predictions, skill
    code: 21 bytes; the newest `TEST_SHARE` of the log, 20%), plus the block being added
    and its two prediction arrays (`result` works on a few copies of the kept rows);
    never the whole log. Pure: no I/O.
    """

    def __init__(self) -> None:
        self._names: list[str] = []
        self._code: dict[str, int] = {}
        self._y: list[NDArray[np.int8]] = []
        self._p_new: list[NDArray[np.float64]] = []
        self._p_cur: list[NDArray[np.float64]] = []
        self._skill: list[NDArray[np.int32]] = []
        self.rows = 0  # rows added (every block's, newest or not)
        self.test_rows = 0  # newest rows added, scored or not (as `evaluate` counts them)

    def add(
        self, block: Responses, candidate: ModelParams, current: ModelParams, cutoff: int
    ) -> None:
        """Score `block`'s rows with `row >= cutoff` that both sets predict. Every
        (skill, student) sequence in it must be whole (all its rows, earlier ones too)."""
        n = len(block)
        self.rows += n
        newest = np.asarray(block.row >= cutoff)
        k = int(newest.sum())
        self.test_rows += k
        if k == 0:
            return  # nothing to score: skip the predictions
        p_new = predict(candidate, block)
        p_cur = predict(current, block)
        rows = _scored_rows(newest, p_new, p_cur)
        if not bool(rows.any()):
            return
        lookup = np.array([self._code_of(s) for s in block.skills], dtype=np.int32)
        self._y.append(block.correct[rows].astype(np.int8))
        self._p_new.append(p_new[rows])
        self._p_cur.append(p_cur[rows])
        self._skill.append(lookup[block.skill[rows]])

    def _code_of(self, name: str) -> int:
        code = self._code.get(name)
        if code is None:
            code = self._code[name] = len(self._names)
            self._names.append(name)
        return code

    def result(self) -> tuple[Scores | None, dict[str, Scores]]:
        """What `compare` gives on the whole log: overall scores (with the paired
        difference's standard error) and per-skill scores; (None, {}) when no newest row
        is predicted by both sets."""
        if not self._y:
            return None, {}
        names = tuple(sorted(self._names))
        remap = np.array([names.index(s) for s in self._names], dtype=np.int32)
        skill = remap[np.concatenate(self._skill)]
        order = np.argsort(skill, kind="stable")  # the identity when added in name order
        return _finish(
            np.concatenate(self._y).astype(np.float64)[order],
            np.concatenate(self._p_new)[order],
            np.concatenate(self._p_cur)[order],
            skill[order],
            names,
        )

    def scores(self) -> tuple[Scores | None, dict[str, Scores], int]:
        """`result()` and `test_rows`, as `evaluate(scores=...)` takes them."""
        overall, per_skill = self.result()
        return overall, per_skill, self.test_rows


def evaluate(
    candidate: ModelParams,
    current: ModelParams,
    responses: Responses | None,
    newest: NDArray[np.bool_] | None = None,
    *,
    scored_candidate: ModelParams | None = None,
    bounds: Bounds | None = None,
    guess_floors: Mapping[str, float] | None = None,
    auc_tolerance: float = AUC_TOLERANCE,
    log_loss_tolerance: float = LOG_LOSS_TOLERANCE,
    min_test_rows: int = MIN_TEST_ROWS,
    scores: tuple[Scores | None, Mapping[str, Scores], int] | None = None,
) -> GateResult:
    """The gate's decision on `candidate` (the set that would be activated).

    `scored_candidate` is what is scored on the newest rows (the same settings refitted
    on the older part); default `candidate` itself. With no responses, or fewer than
    `min_test_rows` newest ones, only the degeneracy check applies: the comparison is
    skipped without refusing, and the result's `test_rows` says how few there were.

    `scores`, instead of `responses` and `newest`: the comparison already made, as
    (overall, per_skill, test_rows), e.g. `NewestScores.scores()` of a streamed read
    (scored with `scored_candidate or candidate` and `current`); `test_rows` below
    `min_test_rows` skips it here too.
    """
    if scores is not None and responses is not None:
        raise ValueError("give either responses or precomputed scores, not both")
    degenerate = degenerate_skills(candidate, bounds, guess_floors)
    reasons = [f"skill {s!r} is degenerate: {'; '.join(r)}" for s, r in sorted(degenerate.items())]
    settings = {
        "auc_tolerance": auc_tolerance,
        "log_loss_tolerance": log_loss_tolerance,
        "min_test_rows": float(min_test_rows),
    }
    overall: Scores | None = None
    per_skill: dict[str, Scores] = {}
    test_rows = 0
    if scores is not None:
        test_rows = scores[2]
        if test_rows >= min_test_rows:
            overall, per_skill = scores[0], dict(scores[1])
    elif responses is not None and len(responses):
        mask = newest if newest is not None else newest_mask(responses)
        test_rows = int(mask.sum())
        if test_rows >= min_test_rows:
            overall, per_skill = compare(scored_candidate or candidate, current, responses, mask)
    if overall is not None:
        new, cur = overall.candidate, overall.current
        margin = log_loss_tolerance + overall.diff_se
        if new.log_loss > cur.log_loss + margin:
            reasons.append(
                f"predicts the newest {overall.n} answers worse than the current set: "
                f"log-loss {new.log_loss:.4f} > {cur.log_loss:.4f} + {margin:.4f} "
                "(one standard error)"
            )
        if math.isfinite(new.auc) and math.isfinite(cur.auc) and new.auc < cur.auc - auc_tolerance:
            reasons.append(
                f"ranks the newest {overall.n} answers worse than the current set: "
                f"AUC {new.auc:.4f} < {cur.auc:.4f} - {auc_tolerance:g}"
            )
    passed = not reasons
    return GateResult(
        passed=passed,
        reasons=tuple(reasons),
        degenerate=degenerate,
        overall=overall,
        per_skill=per_skill,
        test_rows=test_rows,
        settings=settings,
    )
