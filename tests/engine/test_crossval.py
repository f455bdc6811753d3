"""Folds partition students; every response is predicted by a model that never saw its student."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pytest

from engine.crossval import crossvalidate, student_folds
from engine.fit import BKTFitter
from engine.metrics import compute_scored
from engine.params import ModelParams
from engine.responses import Responses


def simulated(rng: np.random.Generator, students: int = 30, length: int = 12) -> Responses:
    """BKT-generated answers on two skills (prior .3, learn .2, guess .2, slip .1)."""
    correct, skill, student = [], [], []
    for s in range(students):
        for k in ("frac", "ratio"):
            known = rng.random() < 0.3
            for _ in range(length):
                p = 0.9 if known else 0.2
                correct.append(int(rng.random() < p))
                skill.append(k)
                student.append(f"u{s}")
                known = known or rng.random() < 0.2
    # one student only ever practised a third skill: its fold's model cannot predict it
    correct += [1, 0, 1]
    skill += ["rare"] * 3
    student += ["loner"] * 3
    return Responses.from_columns(correct=correct, skill=skill, student=student)


def test_folds_partition_students(seed: int) -> None:
    r = simulated(np.random.default_rng(seed))
    fold = student_folds(r, 4, seed)
    assert set(fold.tolist()) == {0, 1, 2, 3}
    per_student: dict[int, set[int]] = {}
    for u, f in zip(r.student.tolist(), fold.tolist(), strict=True):
        per_student.setdefault(u, set()).add(f)
    assert all(len(f) == 1 for f in per_student.values())  # each student in exactly one fold
    assert len(per_student) == len(r.students)
    sizes = np.bincount([next(iter(f)) for f in per_student.values()])
    assert sizes.max() - sizes.min() <= 1
    np.testing.assert_array_equal(fold, student_folds(r, 4, seed))
    assert not np.array_equal(fold, student_folds(r, 4, seed + 1))


@pytest.mark.parametrize("folds", [1, 0, 32])
def test_bad_fold_counts(folds: int) -> None:
    r = simulated(np.random.default_rng(0))  # 31 students
    with pytest.raises(ValueError, match="folds"):
        student_folds(r, folds, 0)


class Recording:
    """A real BKTFitter that remembers which students it was fitted on."""

    seen: ClassVar[list[set[str]]] = []

    def __init__(self, seed: int) -> None:
        self.inner = BKTFitter(random_state=seed, n_jobs=1)

    @property
    def params_(self) -> ModelParams:
        return self.inner.params_

    def fit(self, responses: Responses) -> Any:
        Recording.seen.append({responses.students[u] for u in np.unique(responses.student)})
        self.inner.fit(responses)
        return self


def test_crossvalidate_never_scores_a_student_the_model_saw(seed: int) -> None:
    r = simulated(np.random.default_rng(seed))
    Recording.seen = []
    calls: list[tuple[int, int]] = []
    result = crossvalidate(
        lambda: Recording(seed), r, folds=3, seed=seed, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(Recording.seen) == 3
    for k, seen in enumerate(Recording.seen):
        held_out = {r.students[u] for u in np.unique(r.student[result.fold == k])}
        assert not seen & held_out
        assert seen | held_out == set(r.students)

    # only the loner's unseen skill is unscored; everything else has an out-of-fold prediction
    loner = r.student == r.students.index("loner")
    assert np.isnan(result.predictions[loner]).all()
    assert np.isfinite(result.predictions[~loner]).all()
    assert (result.overall.n, result.overall.dropped) == (len(r) - 3, 3)
    assert result.per_skill["rare"].dropped == 3

    # overall metrics pool the out-of-fold predictions
    pooled = compute_scored(r.correct, result.predictions)
    assert result.overall == pooled
    assert sum(f.n_test for f in result.folds) == len(r)
    assert result.overall.auc > 0.6  # the simulated skills are learnable
    assert not math.isnan(result.fold_mean("auc"))
    assert result.to_json_dict()["overall"]["n"] == len(r) - 3
