"""The model families by name, the settings they share, and the fitter each one uses.

- `bkt`: classic BKT per skill (pyBKT's, bit for bit with flat priors);
- `forgets`: BKT with P(forget);
- `item`: BKT+forgets with per-item guess/slip (KT-IDEM) shrunk toward the skill
  by `item_strength` pseudo-responses, so an item seen a few times stays near its
  skill instead of reaching 0 or 1;
- `student`: BKT+forgets with per-student logit shifts of prior and learn rate
  from a fitted population (engine.families.student_fit);
- `full`: `student` with the item terms of `item`;
- `auto`: picks one of the others by cross-validation on the training data
  (engine.families.select).

Multi-skill items follow the loader's `--multi-skill` rule: under "split" a
response tagged with several skills is one response per skill, so it updates
each skill's belief and, in the student families, counts once per skill as
evidence of the student's ability (as it did in the fit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import numpy as np

from engine.families.errors import FamilyError
from engine.params import ModelParams
from engine.report import FitReport
from engine.responses import Responses

FamilyName = Literal["bkt", "forgets", "item", "student", "full"]
FAMILIES: tuple[FamilyName, ...] = ("bkt", "forgets", "item", "student", "full")
CHOICES: tuple[str, ...] = (*FAMILIES, "auto")
NEEDS_ITEMS: frozenset[str] = frozenset({"item", "full"})
DEFAULT_ITEM_STRENGTH = 10.0


def check_family(name: object, where: str = "--model") -> str:
    if not isinstance(name, str) or name not in CHOICES:
        raise FamilyError(f"{where}: unknown model family {name!r}; choose one of {list(CHOICES)}")
    return name


def check_items(family: str, responses: Responses, source: str = "the data") -> None:
    """Item families need item ids; say so, naming the data, instead of fitting nonsense."""
    if family in NEEDS_ITEMS and responses.items == ("",):
        raise FamilyError(
            f"{source}: model family {family!r} needs item ids, but the data have no item "
            "column (e.g. template_id or problem_id, 'Problem Name' in DataShop exports); "
            "use --model forgets or student, or give the items"
        )


class Predictor(Protocol):
    """What scoring needs of a fitted model of any family."""

    def predict(self, responses: Responses) -> Any: ...


class FamilyFitter(Protocol):
    @property
    def params_(self) -> Any: ...

    @property
    def report_(self) -> FitReport: ...

    def fit(self, responses: Responses) -> Any: ...


@dataclass(frozen=True)
class FitSettings:
    """Settings every family shares (the CLI's flags)."""

    restarts: int = 1
    max_iter: int = 100
    random_state: int | None = 0
    item_strength: float = DEFAULT_ITEM_STRENGTH
    multilearn: bool = False
    n_jobs: int | None = None

    def __post_init__(self) -> None:
        if self.restarts < 1:
            raise ValueError(f"restarts must be >= 1, got {self.restarts}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if not self.item_strength >= 0:
            raise ValueError(f"item_strength must be >= 0, got {self.item_strength}")


def make_fitter(
    family: str,
    settings: FitSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
    **bkt_overrides: Any,
) -> FamilyFitter:
    """A fresh, unfitted estimator of `family` (not `auto`: see engine.families.select)."""
    from engine.families.student_fit import StudentFitter
    from engine.fit import BKTFitter
    from engine.priors import Priors

    check_family(family)
    if family == "auto":
        raise FamilyError("'auto' chooses among families: use engine.families.select.AutoFitter")
    s = settings or FitSettings()
    name = cast("FamilyName", family)
    if name in ("bkt", "forgets", "item"):
        kw: dict[str, Any] = {
            "forgets": name != "bkt",
            "multigs": name == "item",
            "multilearn": s.multilearn,
            "restarts": s.restarts,
            "max_iter": s.max_iter,
            "random_state": s.random_state,
            "n_jobs": s.n_jobs,
            "progress": progress,
        }
        if name == "item" and s.item_strength > 0:
            kw["priors"] = Priors(item_strength=s.item_strength)
        kw.update(bkt_overrides)
        return cast("FamilyFitter", _Checked(name, BKTFitter(**kw)))
    return cast(
        "FamilyFitter",
        _Checked(
            name,
            StudentFitter(
                items=name == "full",
                item_strength=s.item_strength,
                restarts=s.restarts,
                random_state=s.random_state,
                n_jobs=s.n_jobs,
                progress=progress,
            ),
        ),
    )


class _Checked:
    """A family's fitter that refuses data without items where the family needs them and
    records the family in the fitted model's metadata."""

    def __init__(self, family: str, inner: Any) -> None:
        self.family = family
        self.inner = inner

    def fit(self, responses: Responses) -> _Checked:
        check_items(self.family, responses)
        self.inner.fit(responses)
        return self

    @property
    def params_(self) -> Any:
        p = self.inner.params_
        if isinstance(p, ModelParams) and p.metadata.get("family") != self.family:
            from dataclasses import replace

            p = replace(p, metadata={**p.metadata, "family": self.family})
            self.inner.params_ = p
        return p

    @property
    def report_(self) -> FitReport:
        return cast("FitReport", self.inner.report_)


def predict_any(model: Any, responses: Responses) -> np.ndarray:
    """P(correct) before each response for a model of any family."""
    from engine.predict import predict

    if isinstance(model, ModelParams):
        return predict(model, responses)
    return np.asarray(model.predict(responses), dtype=np.float64)
