"""`auto`: choose the family by cross-validation on the training data only.

Every family the data allow (item families need item ids) is cross-validated
with folds by student on the training responses; the one with the lowest
out-of-fold log-loss wins (a proper score: it rewards calibrated P(correct),
which is what a teacher reads, not just their order) and is refitted on all of
them. BKT+forgets is always a candidate, so the winner's out-of-fold log-loss is
never above its. The test set is never seen: the choice carries over to data
that are not in the benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.crossval import crossvalidate
from engine.families.spec import (
    FAMILIES,
    NEEDS_ITEMS,
    FamilyFitter,
    FitSettings,
    make_fitter,
)
from engine.report import FitReport
from engine.responses import Responses


@dataclass(frozen=True)
class Candidate:
    family: str
    auc: float
    log_loss: float
    rmse: float


@dataclass(frozen=True)
class Selection:
    chosen: str
    candidates: tuple[Candidate, ...]
    folds: int
    skipped: tuple[str, ...]  # families the data do not allow, with why

    @property
    def reason(self) -> str:
        best = min(self.candidates, key=lambda c: c.log_loss)
        ref = next((c for c in self.candidates if c.family == "forgets"), None)
        text = (
            f"{self.chosen}: lowest out-of-fold log-loss ({best.log_loss:.4f}, AUC "
            f"{best.auc:.4f}) in {self.folds}-fold cross-validation by student on the "
            "training data"
        )
        if ref is not None and ref.family != self.chosen:
            text += f"; forgets had {ref.log_loss:.4f} (AUC {ref.auc:.4f})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "reason": self.reason,
            "folds": self.folds,
            "candidates": [c.__dict__ for c in self.candidates],
            "skipped": list(self.skipped),
        }

    def to_table(self) -> str:
        lines = [f"{'family':<8} {'cv auc':>7} {'cv log-loss':>11} {'cv rmse':>7}"]
        for c in self.candidates:
            mark = "  <- chosen" if c.family == self.chosen else ""
            lines.append(f"{c.family:<8} {c.auc:>7.4f} {c.log_loss:>11.4f} {c.rmse:>7.4f}{mark}")
        lines.extend(f"(skipped {s})" for s in self.skipped)
        lines.append(f"auto chose {self.reason}")
        return "\n".join(lines)


class AutoFitter:
    """Estimator: `fit` cross-validates the candidates, refits the winner; `selection_`,
    `family_`, `params_`, `report_` (the winner's, its settings naming the choice)."""

    def __init__(
        self,
        settings: FitSettings | None = None,
        *,
        candidates: tuple[str, ...] = FAMILIES,
        folds: int = 3,
        seed: int = 0,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if folds < 2:
            raise ValueError(f"folds must be >= 2, got {folds}")
        if "forgets" not in candidates:
            raise ValueError("auto needs 'forgets' among its candidates (its reference)")
        self.settings = settings or FitSettings()
        self.candidates = candidates
        self.folds = folds
        self.seed = seed
        self.progress = progress

    def fit(self, responses: Responses) -> AutoFitter:
        has_items = responses.items != ("",)
        usable = [f for f in self.candidates if has_items or f not in NEEDS_ITEMS]
        skipped = tuple(
            f"{f}: the data have no item ids" for f in self.candidates if f not in usable
        )
        total = len(usable) * self.folds + 1
        done = [0]

        def tick(*_: int) -> None:
            done[0] += 1
            if self.progress is not None:
                self.progress(done[0], total)

        results = []
        for family in usable:
            cv = crossvalidate(
                lambda family=family: make_fitter(family, self.settings),  # type: ignore[misc]
                responses,
                folds=self.folds,
                seed=self.seed,
                progress=tick,
            )
            results.append(Candidate(family, cv.overall.auc, cv.overall.log_loss, cv.overall.rmse))
        finite = [c for c in results if not math.isnan(c.log_loss)]
        chosen = min(finite, key=lambda c: (c.log_loss, FAMILIES.index(c.family))).family
        self.selection_ = Selection(chosen, tuple(results), self.folds, skipped)
        self.family_ = chosen
        fitter: FamilyFitter = make_fitter(chosen, self.settings)
        fitter.fit(responses)
        tick()
        self.params_ = fitter.params_
        base = fitter.report_
        self.report_ = FitReport(
            skills=base.skills, settings={**base.settings, "auto": self.selection_.to_dict()}
        )
        return self
