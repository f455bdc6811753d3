"""Prediction metrics as pure functions on arrays (binary outcomes, P(correct) predictions).

They agree with scikit-learn (roc_auc_score, mean_squared_error**0.5, log_loss,
accuracy_score on `p >= 0.5`) and with pyBKT's conventions where sklearn raises:
AUC of a single-class sample and every metric of an empty sample are NaN, so
per-skill tables can include skills with only correct answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

EPS = float(np.finfo(np.float64).eps)  # sklearn's log_loss clip for float64 predictions


def _check(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} values but y_prob has {p.size}")
    if not np.all((y == 0.0) | (y == 1.0)):
        raise ValueError("y_true must be 0 or 1")
    if not np.all(np.isfinite(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("y_prob must be finite probabilities in [0, 1]")
    return y, p


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, tied values sharing their mean rank (scipy's rankdata 'average')."""
    n = values.shape[0]
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    change = np.empty(n, dtype=bool)
    change[:1] = True
    change[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(change) - 1]
    return ranks


def auc(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney) form; ties count half."""
    y, p = _check(y_true, y_prob)
    n_pos = float(y.sum())
    n_neg = float(y.size) - n_pos
    if n_pos == 0.0 or n_neg == 0.0:
        return math.nan
    ranks = average_ranks(p)  # shared ranks give ties half credit
    return float((ranks[y == 1.0].sum() - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))


def rmse(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    y, p = _check(y_true, y_prob)
    return float(np.sqrt(np.mean((y - p) ** 2))) if y.size else math.nan


def log_loss(y_true: ArrayLike, y_prob: ArrayLike, eps: float = EPS) -> float:
    """Mean negative log-likelihood, predictions clipped to [eps, 1 - eps] so 0/1 stay finite."""
    y, p = _check(y_true, y_prob)
    if not y.size:
        return math.nan
    q = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))


def accuracy(y_true: ArrayLike, y_prob: ArrayLike, threshold: float = 0.5) -> float:
    """Share of responses where `p >= threshold` matches the outcome (pyBKT's rule)."""
    y, p = _check(y_true, y_prob)
    return float(np.mean((p >= threshold) == (y == 1.0))) if y.size else math.nan


@dataclass(frozen=True)
class Metrics:
    """Metrics of `n` scored responses; `dropped` responses could not be scored."""

    auc: float
    rmse: float
    log_loss: float
    accuracy: float
    n: int
    dropped: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None; `dropped` only when non-zero."""
        out: dict[str, Any] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }
        if not self.dropped:
            out.pop("dropped")
        return out


def compute(y_true: ArrayLike, y_prob: ArrayLike, dropped: int = 0) -> Metrics:
    y, p = _check(y_true, y_prob)
    return Metrics(
        auc=auc(y, p),
        rmse=rmse(y, p),
        log_loss=log_loss(y, p),
        accuracy=accuracy(y, p),
        n=int(y.size),
        dropped=int(dropped),
    )


def compute_by_group(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    groups: ArrayLike,
    names: Sequence[str],
) -> dict[str, Metrics]:
    """Metrics per group code (e.g. skill). NaN predictions are unscored: counted in `dropped`.

    Every name in `names` that has at least one response gets an entry.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    g = np.asarray(groups).ravel()
    if not (y.shape == p.shape == g.shape):
        raise ValueError("y_true, y_prob and groups must have the same length")
    scored = ~np.isnan(p)
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(len(names) + 1))
    out: dict[str, Metrics] = {}
    for code, name in enumerate(names):
        idx = order[bounds[code] : bounds[code + 1]]
        if idx.size == 0:
            continue
        keep = idx[scored[idx]]
        out[name] = compute(y[keep], p[keep], dropped=int(idx.size - keep.size))
    return out


def compute_scored(y_true: ArrayLike, y_prob: ArrayLike) -> Metrics:
    """`compute` over the non-NaN predictions, counting the rest as dropped."""
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} values but y_prob has {p.size}")
    scored = ~np.isnan(p)
    return compute(y[scored], p[scored], dropped=int((~scored).sum()))
