"""K-fold cross-validation with folds by student.

Every response of a student lands in the same fold, so a model is never scored
on a student whose other responses it was fitted on (which would leak that
student's ability into the prior and flatter the metrics).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from engine.evaluate import Model, predictions, score
from engine.metrics import Metrics
from engine.responses import Responses


class Fitter(Protocol):
    """What cross-validation needs of an estimator (engine.fit.BKTFitter, or any family's
    fitter from engine.families.spec.make_fitter)."""

    @property
    def params_(self) -> Model: ...

    def fit(self, responses: Responses) -> Any: ...


def student_folds(responses: Responses, folds: int, seed: int) -> NDArray[np.int64]:
    """Fold (0..folds-1) of every response; students are shuffled with `seed`, dealt round-robin.

    Fold sizes differ by at most one student.
    """
    present = np.unique(responses.student)
    if not isinstance(folds, int | np.integer) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    if folds > present.size:
        raise ValueError(f"folds ({folds}) exceeds the number of students ({present.size})")
    rng = np.random.default_rng(seed)
    of_student = np.full(len(responses.students), -1, dtype=np.int64)
    of_student[present[rng.permutation(present.size)]] = np.arange(present.size) % folds
    return of_student[responses.student]


@dataclass(frozen=True)
class FoldResult:
    fold: int
    n_train: int
    n_test: int
    n_students: int
    metrics: Metrics


@dataclass(frozen=True, eq=False)
class CVResult:
    """Cross-validation outcome.

    `overall` and `per_skill` are computed over the pooled out-of-fold
    predictions (every response predicted by the model that did not see its
    student), not averaged over folds; per-fold metrics are in `folds`.
    """

    overall: Metrics
    per_skill: Mapping[str, Metrics]
    folds: tuple[FoldResult, ...]
    predictions: NDArray[np.float64]  # out-of-fold P(correct), aligned with the responses
    fold: NDArray[np.int64]  # fold of each response
    seed: int

    def fold_mean(self, metric: str) -> float:
        """Mean of a metric over folds (NaN folds ignored), for comparison with papers."""
        values = [getattr(f.metrics, metric) for f in self.folds]
        finite = [v for v in values if not math.isnan(v)]
        return float(np.mean(finite)) if finite else math.nan

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "folds": len(self.folds),
            "seed": self.seed,
            "pooled": "overall and per-skill metrics pool the out-of-fold predictions",
            "overall": self.overall.to_dict(),
            "per_skill": {name: m.to_dict() for name, m in self.per_skill.items()},
            "per_fold": [
                {
                    "fold": f.fold,
                    "n_train": f.n_train,
                    "n_test": f.n_test,
                    "students": f.n_students,
                    **f.metrics.to_dict(),
                }
                for f in self.folds
            ],
        }


def crossvalidate(
    make_fitter: Callable[[], Fitter],
    responses: Responses,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CVResult:
    """Fit a fresh fitter per fold on the other folds' students and predict the held-out ones.

    `make_fitter` is called once per fold so no state leaks between folds; seed
    its random state yourself. `progress(done, folds)` is called after each fold.
    """
    fold = student_folds(responses, folds, seed)
    oof = np.full(len(responses), np.nan, dtype=np.float64)
    results: list[FoldResult] = []
    for k in range(folds):
        test_mask = fold == k
        train = responses.take(~test_mask)
        test = responses.take(test_mask)
        fitter = make_fitter()
        fitter.fit(train)
        p = predictions(fitter.params_, test)
        oof[test_mask] = p
        fold_metrics, _ = score(test, p)
        results.append(
            FoldResult(
                fold=k,
                n_train=len(train),
                n_test=len(test),
                n_students=int(np.unique(test.student).size),
                metrics=fold_metrics,
            )
        )
        if progress is not None:
            progress(k + 1, folds)
    overall, per_skill = score(responses, oof)
    return CVResult(
        overall=overall,
        per_skill=per_skill,
        folds=tuple(results),
        predictions=oof,
        fold=fold,
        seed=seed,
    )
