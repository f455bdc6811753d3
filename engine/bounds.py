"""Box bounds on BKT parameters, enforced in the M-step.

Unconstrained EM happily finds degenerate optima (guess > 0.5, or mastery that
lowers P(correct)); capping guess and slip (say at 0.3) is the usual remedy.
The expected complete-data log-likelihood separates per parameter and is
concave in each, so clipping the unconstrained M-step solution is the exact
constrained maximiser and EM stays monotone.

Guess floors: an item's guess may have a known minimum (1 / number of choices for a
multiple-choice item). The floor overrides the skill's guess bound for that item:
its guess lies in [max(lo, floor), max(hi, floor)], so a multiple-choice item with
four choices keeps guess >= 0.25 even under a 0.2 cap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.params import ParamsError

# Kernel order (see engine.kernels): prior, learn, forget, guess, slip.
PARAM_ORDER = ("prior", "learn", "forget", "guess", "slip")

Interval = tuple[float, float]


def _check_interval(value: object, name: str) -> Interval:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ParamsError(f"bounds.{name}: expected a (low, high) pair, got {value!r}")
    try:
        lo, hi = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        raise ParamsError(f"bounds.{name}: expected numbers, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not 0.0 <= lo <= hi <= 1.0:
        raise ParamsError(f"bounds.{name}: need 0 <= low <= high <= 1, got ({lo!r}, {hi!r})")
    return (lo, hi)


@dataclass(frozen=True)
class Bounds:
    """Closed interval per parameter; the default (0, 1) means unconstrained."""

    prior: Interval = (0.0, 1.0)
    learn: Interval = (0.0, 1.0)
    forget: Interval = (0.0, 1.0)
    guess: Interval = (0.0, 1.0)
    slip: Interval = (0.0, 1.0)

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check_interval(getattr(self, f.name), f.name))

    @classmethod
    def capped(cls, guess: float = 0.3, slip: float = 0.3) -> Bounds:
        """The common guard against degenerate fits: guess <= 0.3, slip <= 0.3."""
        return cls(guess=(0.0, guess), slip=(0.0, slip))

    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lo = np.array([getattr(self, n)[0] for n in PARAM_ORDER], dtype=np.float64)
        hi = np.array([getattr(self, n)[1] for n in PARAM_ORDER], dtype=np.float64)
        return lo, hi

    def hit(self, name: str, value: float, eps: float = 1e-9) -> bool:
        """True if `value` sits on a non-trivial bound (not the natural 0 or 1) of `name`."""
        lo, hi = getattr(self, name)
        return (lo > 0.0 and value <= lo + eps) or (hi < 1.0 and value >= hi - eps)

    def guess_interval(self, floor: float | None = None) -> Interval:
        """Guess bounds of an item with this floor (None or 0: the skill's own)."""
        lo, hi = self.guess
        if floor is None:
            return (lo, hi)
        return (max(lo, floor), max(hi, floor))

    def to_dict(self) -> dict[str, list[float]]:
        return {n: list(getattr(self, n)) for n in PARAM_ORDER}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "bounds") -> Bounds:
        """Inverse of `to_dict` (missing parameters unconstrained)."""
        if not isinstance(data, Mapping):
            raise ParamsError(f"{where}: expected an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(PARAM_ORDER))
        if unknown:
            raise ParamsError(f"{where}: unknown parameter(s) {unknown}")
        return cls(**{n: tuple(v) if isinstance(v, list) else v for n, v in data.items()})


UNBOUNDED = Bounds()


def check_floors(floors: Mapping[str, float] | None) -> dict[str, float]:
    """Validated item -> minimum guess map (probabilities; items are strings)."""
    if floors is None:
        return {}
    if not isinstance(floors, Mapping):
        raise ParamsError(f"guess_floors: expected a mapping item -> floor, got {floors!r}")
    out: dict[str, float] = {}
    for item, value in floors.items():
        if not isinstance(item, str):
            raise ParamsError(f"guess_floors: item ids must be strings, got {item!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParamsError(f"guess_floors[{item!r}]: expected a number, got {value!r}") from None
        if not math.isfinite(v) or not 0.0 <= v < 1.0:
            raise ParamsError(f"guess_floors[{item!r}]: need 0 <= floor < 1, got {value!r}")
        out[item] = v
    return out
