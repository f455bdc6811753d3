"""benchmarks.families: rows are measured on the data given, pyBKT lines up with ours."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.families import Split, ours, pybkt, splits, table
from engine.families.simulate import simulate_students
from engine.params import ModelParams, SkillParams


@pytest.fixture(scope="module")
def split() -> Split:
    skills = {
        k: SkillParams(prior=0.4, learn=0.2, guess=0.2, slip=0.1,
                       item_guess={f"{k}{i}": 0.1 + 0.1 * i for i in range(3)})
        for k in ("a", "b")
    }  # fmt: skip
    model = ModelParams(skills=skills, multigs=True)
    data = simulate_students(model, 60, 8, np.random.default_rng(0)).responses
    names = np.asarray(data.students)
    train = data.for_students(list(names[:40]))
    return Split(train, data.for_students(list(names[40:])))


def test_rows_score_the_test_students(split: Split) -> None:
    rows = [ours("sim", f, [split], 0) for f in ("forgets", "item")]
    rows.append(pybkt("sim", "pyBKT BKT+forgets", [split], 0))
    for r in rows:
        assert 0.5 < r.auc <= 1.0 and 0.0 < r.rmse < 0.5 and r.fit_s > 0 and r.peak_mb > 0
    # pyBKT's EM from its own start and ours agree closely on the same BKT+forgets
    assert abs(rows[2].auc - rows[0].auc) < 0.05
    assert not any(math.isnan(r.log_loss) for r in rows)


def test_auto_row_names_its_choice_and_the_table_prints_targets(split: Split) -> None:
    rows = [ours("statics", f, [split], 0) for f in ("forgets", "auto")]
    assert rows[1].note.startswith("chose ")
    text = table(rows)
    assert "Best-LR 0.82" in text and "auto - our BKT+forgets" in text


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        splits("mnist")
