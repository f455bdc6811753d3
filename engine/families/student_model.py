"""A fitted student-ability model: skill (and item) parameters plus the population of shifts.

The skill-level parameters are BKT's at shift (0, 0), saved as today's
`ModelParams`, so any reader of the versioned JSON that does not know the
population still gets a valid model (every student at the grid's zero point).
The state a teacher sees stays P(known) per skill: the posterior mixture over
the student's shifts of the per-shift beliefs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.families import kernels
from engine.families.population import Population
from engine.params import ModelParams, ParamsError
from engine.predict import Prediction
from engine.responses import Responses

POPULATION_VERSION = 1


@dataclass(frozen=True)
class Tables:
    """Kernel arrays of a model over some responses: per-row guess/slip class and
    per-skill-code prior, learn, forget (NaN for skills without parameters)."""

    cls: NDArray[np.int64]
    guess: NDArray[np.float64]
    slip: NDArray[np.float64]
    prior: NDArray[np.float64]
    learn: NDArray[np.float64]
    forget: NDArray[np.float64]


def tables(params: ModelParams, responses: Responses, by_item: bool | None = None) -> Tables:
    """Resolve parameters once per guess/slip class: a distinct (skill, item) pair when
    `by_item` (default: when any skill has item guess/slip), else the skill."""
    by_code = [params.skills.get(s) for s in responses.skills]
    if by_item is None:
        by_item = any(p is not None and (p.item_guess or p.item_slip) for p in by_code)
    n_items = max(len(responses.items), 1)
    item_code = responses.item if by_item else np.zeros_like(responses.item)
    key = responses.skill.astype(np.int64) * n_items + item_code
    uniq, inv = np.unique(key, return_inverse=True)
    no_items = responses.items == ("",)
    guess = np.full(uniq.shape[0], 0.5)
    slip = np.full(uniq.shape[0], 0.5)
    for c, kv in enumerate(uniq.tolist()):
        p = by_code[kv // n_items]
        if p is not None:
            item = None if no_items or not by_item else responses.items[kv % n_items]
            guess[c] = p.guess_for(item)
            slip[c] = p.slip_for(item)

    def per_skill(name: str) -> NDArray[np.float64]:
        return np.array([np.nan if p is None else getattr(p, name) for p in by_code])

    return Tables(
        cls=inv.ravel().astype(np.int64),
        guess=guess,
        slip=slip,
        prior=per_skill("prior"),
        learn=per_skill("learn"),
        forget=per_skill("forget"),
    )


@dataclass(frozen=True)
class StudentOrder:
    """Each student's rows in time order (the filter's walk) and per-row sequence facts."""

    order: NDArray[np.int64]
    st_rows: NDArray[np.int64]
    seq_of: NDArray[np.int64]
    first: NDArray[np.bool_]
    students: NDArray[np.int64]  # student code of each block of `st_rows`


def student_order(responses: Responses) -> StudentOrder:
    """Time order across skills comes from `Responses.position` (the input order); without
    it, a student's skills are walked one after another."""
    n = len(responses)
    starts = responses.sequence_starts()
    seq_of = np.repeat(np.arange(starts.shape[0] - 1, dtype=np.int64), np.diff(starts))
    first = np.zeros(n, dtype=bool)
    first[starts[:-1]] = True
    pos = responses.position if responses.position is not None else np.arange(n)
    order = np.lexsort((np.arange(n), pos, responses.student)).astype(np.int64)
    st = responses.student[order]
    change = np.flatnonzero(np.r_[True, st[1:] != st[:-1]])
    return StudentOrder(
        order=order,
        st_rows=np.append(change, n).astype(np.int64),
        seq_of=seq_of,
        first=first,
        students=st[change].astype(np.int64),
    )


@dataclass(frozen=True)
class StudentPrediction(Prediction):
    """A `Prediction` plus each student's shift estimate after their last answer."""

    shifts: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class StudentModel:
    """`base` holds the parameters at shift (0, 0) (skill, and item guess/slip under the
    item family); `students` the posterior mean shifts of the training students."""

    base: ModelParams
    population: Population
    students: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    family: str = "student"

    def __post_init__(self) -> None:
        if not isinstance(self.base, ModelParams):
            raise ParamsError(f"base: expected ModelParams, got {type(self.base).__name__}")
        if not isinstance(self.population, Population):
            raise ParamsError("population: expected an engine.families.Population")
        checked = {}
        for name, pair in self.students.items():
            a, b = (float(x) for x in pair)
            if not (np.isfinite(a) and np.isfinite(b)):
                raise ParamsError(f"students[{name!r}]: shifts must be finite, got {pair!r}")
            checked[str(name)] = (a, b)
        object.__setattr__(self, "students", MappingProxyType(checked))

    @property
    def skills(self) -> Mapping[str, Any]:
        return self.base.skills

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.base.metadata

    def predict_trace(self, responses: Responses) -> StudentPrediction:
        """Every student filtered online from the population (none is taken as known from
        training: a student in `students` is traced afresh, as the service would)."""
        t = tables(self.base, responses)
        so = student_order(responses)
        a, b, _ = self.population.arrays()
        lw = self.population.log_weights()
        n_seq = int(so.seq_of[-1]) + 1 if len(responses) else 0
        known = np.empty((n_seq, a.shape[0], b.shape[0]))
        unknown = np.empty_like(known)
        out_p = np.empty(len(responses))
        out_m = np.empty(len(responses))
        out_lw = np.empty((so.students.shape[0], a.shape[0], b.shape[0]))
        kernels.kernel("mixture_filter", len(responses))(
            np.ascontiguousarray(responses.correct, dtype=np.int8),
            so.order,
            so.st_rows,
            so.seq_of,
            so.first,
            responses.skill.astype(np.int64),
            t.cls,
            t.guess,
            t.slip,
            t.prior,
            t.learn,
            t.forget,
            a,
            b,
            lw,
            known,
            unknown,
            out_p,
            out_m,
            out_lw,
        )
        shifts = {}
        for s, logw in zip(so.students.tolist(), out_lw, strict=True):
            w = np.exp(logw - logw.max())
            w /= w.sum()
            shifts[responses.students[s]] = (float(w.sum(axis=1) @ a), float(w.sum(axis=0) @ b))
        present = np.unique(responses.skill)
        missing_codes = [k for k in present.tolist() if np.isnan(t.prior[k])]
        n_missing = int(np.isin(responses.skill, missing_codes).sum()) if missing_codes else 0
        return StudentPrediction(
            out_p,
            out_m,
            tuple(responses.skills[k] for k in missing_codes),
            n_missing,
            shifts=shifts,
        )

    def predict(self, responses: Responses) -> NDArray[np.float64]:
        return self.predict_trace(responses).p_correct

    # ---- versioned JSON: today's format plus a "population" section ------------------------

    def to_json_dict(self) -> dict[str, Any]:
        out = self.base.to_json_dict()
        out["family"] = self.family
        out["population"] = {
            "version": POPULATION_VERSION,
            **self.population.to_dict(),
            "students": {k: list(v) for k, v in self.students.items()},
        }
        return out

    @classmethod
    def from_json_dict(cls, data: Any, where: str = "params") -> StudentModel:
        base = ModelParams.from_json_dict(data, where)
        pop = data.get("population")
        if not isinstance(pop, Mapping):
            raise ParamsError(f"{where}.population: expected an object")
        if pop.get("version") != POPULATION_VERSION:
            raise ParamsError(
                f"{where}.population: unsupported version {pop.get('version')!r} "
                f"(this build reads {POPULATION_VERSION})"
            )
        students = pop.get("students", {})
        if not isinstance(students, Mapping):
            raise ParamsError(f"{where}.population.students: expected an object")
        body = {k: v for k, v in pop.items() if k not in ("version", "students")}
        population = Population.from_dict(body, f"{where}.population")
        pairs = {}
        for name, v in students.items():
            if not isinstance(v, list | tuple) or len(v) != 2:
                raise ParamsError(
                    f"{where}.population.students[{name!r}]: expected [prior shift, learn shift]"
                )
            pairs[str(name)] = (v[0], v[1])
        family = data.get("family", "student")
        if not isinstance(family, str):
            raise ParamsError(f"{where}.family: expected a string")
        try:
            return cls(base=base, population=population, students=pairs, family=family)
        except (TypeError, ValueError) as exc:
            raise ParamsError(f"{where}.population.students: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=2) + "\n")
