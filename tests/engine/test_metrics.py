"""Metrics agree with scikit-learn on random inputs, and follow pyBKT where sklearn raises."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as sk

from engine.metrics import (
    Metrics,
    accuracy,
    auc,
    compute,
    compute_by_group,
    compute_scored,
    log_loss,
    rmse,
)


@st.composite
def labelled(draw: st.DrawFn, both_classes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    y = np.array(draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)))
    if both_classes:
        y[0], y[1] = 0, 1
    # few distinct values so ties are common; exact 0 and 1 exercise clipping
    grid = draw(st.sampled_from([2, 5, 1000]))
    p = np.array(draw(st.lists(st.integers(0, grid), min_size=n, max_size=n))) / grid
    return y, p


@given(labelled())
def test_auc_equals_sklearn_including_ties(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    assert auc(y, p) == pytest.approx(sk.roc_auc_score(y, p), abs=1e-12)


@given(labelled(both_classes=False))
def test_rmse_equals_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    assert rmse(y, p) == pytest.approx(math.sqrt(sk.mean_squared_error(y, p)), abs=1e-12)


@given(labelled(both_classes=False))
def test_log_loss_equals_sklearn_with_clipping(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    ours = log_loss(y, p)
    assert math.isfinite(ours)
    assert ours == pytest.approx(sk.log_loss(y, p, labels=[0, 1]), rel=1e-9, abs=1e-12)


@given(labelled(both_classes=False))
def test_accuracy_equals_sklearn_at_half(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    assert accuracy(y, p) == pytest.approx(sk.accuracy_score(y, (p >= 0.5).astype(int)))


def test_accuracy_counts_exactly_half_as_correct_prediction() -> None:
    assert accuracy([1, 0], [0.5, 0.5]) == 0.5
    assert accuracy([1], [0.5]) == 1.0


def test_auc_single_class_and_empty_are_nan() -> None:
    assert math.isnan(auc([1, 1, 1], [0.2, 0.5, 0.9]))
    m = compute([], [])
    assert m.n == 0 and all(math.isnan(v) for v in (m.auc, m.rmse, m.log_loss, m.accuracy))


def test_auc_perfect_and_reversed() -> None:
    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert auc([0, 1], [0.5, 0.5]) == 0.5


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([0, 1], [0.5], "2 values but y_prob has 1"),
        ([0, 2], [0.5, 0.5], "0 or 1"),
        ([0, 1], [0.5, 1.5], "probabilities"),
        ([0, 1], [0.5, float("nan")], "probabilities"),
    ],
)
def test_bad_inputs_raise(y: list[float], p: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rmse(y, p)


def test_compute_scored_drops_nan_predictions() -> None:
    m = compute_scored([1, 0, 1, 0], [0.9, np.nan, 0.8, 0.1])
    assert (m.n, m.dropped) == (3, 1)
    assert m.auc == 1.0
    assert m.to_dict()["dropped"] == 1
    assert "dropped" not in compute([1, 0], [0.6, 0.4]).to_dict()


def test_compute_by_group_matches_per_group_compute(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    groups = rng.integers(0, 4, n)
    y = rng.integers(0, 2, n)
    p = rng.random(n)
    p[rng.random(n) < 0.1] = np.nan
    by = compute_by_group(y, p, groups, ["a", "b", "c", "d", "unused"])
    assert set(by) == {"a", "b", "c", "d"}
    for code, name in enumerate("abcd"):
        sel = groups == code
        expected = compute_scored(y[sel], p[sel])
        assert by[name] == expected


def test_metrics_json_turns_nan_into_null() -> None:
    m = Metrics(auc=math.nan, rmse=0.5, log_loss=0.7, accuracy=0.5, n=2)
    assert m.to_dict() == {"auc": None, "rmse": 0.5, "log_loss": 0.7, "accuracy": 0.5, "n": 2}


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40))
def test_average_ranks_equal_scipy(values: list[int]) -> None:
    from scipy.stats import rankdata

    from engine.metrics import average_ranks

    x = np.asarray(values, dtype=np.float64)
    np.testing.assert_allclose(average_ranks(x), rankdata(x))
