"""The fitted population distribution of student ability: weights on a grid of logit shifts.

A student's ability is a pair (a, b): a shifts the logit of every skill's prior,
b the logit of every learn rate. The population is a distribution over a fixed
grid of such pairs, fitted by EM as a nonparametric mixture (a point's weight is
the mean posterior of the students). A grid rather than a Gaussian because the
student's posterior is then exact Bayes in O(grid) work per answer, and the
fitted shape can be skewed (many students who know a skill already, few who
learn slowly) without a parametric family saying otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.params import ParamsError


def _grid(values: Sequence[float], where: str) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ParamsError(f"{where}: expected a list of numbers, got {values!r}") from None
    if not out:
        raise ParamsError(f"{where}: needs at least one point")
    if not all(math.isfinite(v) and abs(v) <= 20.0 for v in out):
        raise ParamsError(f"{where}: shifts must be finite logits within [-20, 20], got {out}")
    if any(b <= a for a, b in pairwise(out)):
        raise ParamsError(f"{where}: shifts must be strictly increasing, got {out}")
    return out


@dataclass(frozen=True)
class Population:
    """Weights[i][j] of the shift pair (prior_shifts[i], learn_shifts[j]); they sum to 1."""

    prior_shifts: tuple[float, ...]
    learn_shifts: tuple[float, ...]
    weights: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        a = _grid(self.prior_shifts, "population.prior_shifts")
        b = _grid(self.learn_shifts, "population.learn_shifts")
        try:
            w = np.asarray(self.weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParamsError("population.weights: expected a table of numbers") from None
        if w.shape != (len(a), len(b)):
            raise ParamsError(
                f"population.weights: expected {len(a)} x {len(b)} "
                f"(prior shifts x learn shifts), got shape {w.shape}"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0.0):
            raise ParamsError("population.weights: must be finite and >= 0")
        total = float(w.sum())
        if not abs(total - 1.0) <= 1e-6:
            raise ParamsError(f"population.weights: must sum to 1, got {total!r}")
        object.__setattr__(self, "prior_shifts", a)
        object.__setattr__(self, "learn_shifts", b)
        object.__setattr__(self, "weights", tuple(tuple(float(x) for x in row) for row in w))

    @classmethod
    def point(cls) -> Population:
        """Everyone at shift (0, 0): plain BKT."""
        return cls((0.0,), (0.0,), ((1.0,),))

    @classmethod
    def gaussian(
        cls,
        prior_shifts: Sequence[float] | NDArray[np.float64],
        learn_shifts: Sequence[float] | NDArray[np.float64],
        sd_a: float,
        sd_b: float,
    ) -> Population:
        """Independent centred normals discretised on the grid (the fit's starting point)."""
        a = np.asarray(prior_shifts, dtype=np.float64)
        b = np.asarray(learn_shifts, dtype=np.float64)
        la = -0.5 * (a / sd_a) ** 2 if sd_a > 0 else np.where(a == 0.0, 0.0, -np.inf)
        lb = -0.5 * (b / sd_b) ** 2 if sd_b > 0 else np.where(b == 0.0, 0.0, -np.inf)
        w = np.exp(la[:, None] + lb[None, :])
        return cls.from_array(a, b, w / w.sum())

    @classmethod
    def from_array(
        cls, a: NDArray[np.float64], b: NDArray[np.float64], w: NDArray[np.float64]
    ) -> Population:
        return cls(tuple(a.tolist()), tuple(b.tolist()), tuple(map(tuple, w.tolist())))

    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        return (
            np.asarray(self.prior_shifts, dtype=np.float64),
            np.asarray(self.learn_shifts, dtype=np.float64),
            np.asarray(self.weights, dtype=np.float64),
        )

    def log_weights(self) -> NDArray[np.float64]:
        with np.errstate(divide="ignore"):
            return np.log(self.arrays()[2])

    def mean(self) -> tuple[float, float]:
        """Mean (prior shift, learn shift): where a new student starts on average."""
        a, b, w = self.arrays()
        return float(w.sum(axis=1) @ a), float(w.sum(axis=0) @ b)

    def sd(self) -> tuple[float, float]:
        a, b, w = self.arrays()
        ma, mb = self.mean()
        va = float(w.sum(axis=1) @ (a - ma) ** 2)
        vb = float(w.sum(axis=0) @ (b - mb) ** 2)
        return math.sqrt(va), math.sqrt(vb)

    @property
    def is_point_at_zero(self) -> bool:
        a, b, w = self.arrays()
        return bool(np.all((w == 0.0) | ((a[:, None] == 0.0) & (b[None, :] == 0.0))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior_shifts": list(self.prior_shifts),
            "learn_shifts": list(self.learn_shifts),
            "weights": [list(r) for r in self.weights],
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "population") -> Population:
        if not isinstance(data, Mapping):
            raise ParamsError(f"{where}: expected an object")
        missing = [k for k in ("prior_shifts", "learn_shifts", "weights") if k not in data]
        if missing:
            raise ParamsError(f"{where}: missing field(s) {missing}")
        unknown = sorted(set(data) - {"prior_shifts", "learn_shifts", "weights"})
        if unknown:
            raise ParamsError(f"{where}: unknown field(s) {unknown}")
        try:
            return cls(data["prior_shifts"], data["learn_shifts"], data["weights"])
        except ParamsError as exc:
            raise ParamsError(f"{where}: {exc}") from None
