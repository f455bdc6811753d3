"""Per-skill diagnostics of a fit: data size, convergence and warning flags.

A fitted parameter set is only as trustworthy as the data and the optimum
behind it; the report says which skills a teacher-facing product should not
rely on (degenerate parameters, too little data, parameters pinned at a bound)
and which were not fitted at all (kept or omitted below the minimum data).
`degenerate_skills` is the service gate's check of a whole parameter set.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.bounds import UNBOUNDED, Bounds, check_floors
from engine.params import ModelParams, SkillParams

Source = Literal["fitted", "kept", "omitted"]


PIN_EPS = 1e-6  # a learn or prior this close to 0, 1 or a configured bound is pinned there


def degeneracy_reasons(
    p: SkillParams, guess_floors: Mapping[str, float] | None = None
) -> tuple[str, ...]:
    """Why mastery would not mean "more likely correct" (checked per item too).

    guess >= 1 - slip, guess > 0.5, slip > 0.5. An item whose guess equals its own
    floor (`guess_floors`, e.g. 1/2 for a true/false item) is not flagged for
    guess > 0.5: the floor, not the data, put it there.
    """
    floors = guess_floors or {}
    reasons: list[str] = []
    items = sorted(set(p.item_guess) | set(p.item_slip))
    for item in [None, *items]:
        g, s = p.guess_for(item), p.slip_for(item)
        where = "" if item is None else f" (item {item!r})"
        floor = floors.get(item) if item is not None else None
        if g >= 1.0 - s:
            op = ">" if g > 1.0 - s else ">="
            reasons.append(f"guess {g:.3f} {op} 1 - slip {1.0 - s:.3f}{where}")
        if g > 0.5 and not (floor is not None and abs(g - floor) <= 1e-9):
            reasons.append(f"guess {g:.3f} > 0.5{where}")
        if s > 0.5:
            reasons.append(f"slip {s:.3f} > 0.5{where}")
    return tuple(reasons)


def _pinned(name: str, v: float, bounds: Bounds) -> str:
    lo, hi = getattr(bounds, name)
    for edge in sorted({0.0, 1.0, lo, hi}):
        if abs(v - edge) <= PIN_EPS:
            kind = "bound" if edge in (lo, hi) and edge not in (0.0, 1.0) else "edge"
            return f"{name} {v:.6g} pinned at {kind} {edge:g}"
    return ""


def pinned_reasons(p: SkillParams, bounds: Bounds | None = None) -> tuple[str, ...]:
    """Learn or prior (skill, item or class level) within PIN_EPS of 0, 1 or a bound of
    `bounds`: the data said nothing, or EM ran into a wall, and the value is not an estimate."""
    b = bounds or UNBOUNDED
    reasons: list[str] = []
    for name, values in (("prior", p.class_prior), ("learn", p.item_learn)):
        why = _pinned(name, getattr(p, name), b)
        if why:
            reasons.append(why)
        for key, v in sorted(values.items()):
            why = _pinned(name, v, b)
            if why:
                reasons.append(f"{why} ({'class' if name == 'prior' else 'item'} {key!r})")
    return tuple(reasons)


def gate_reasons(
    p: SkillParams,
    bounds: Bounds | None = None,
    guess_floors: Mapping[str, float] | None = None,
) -> tuple[str, ...]:
    """Every reason a parameter set should not be served: degenerate emissions
    (`degeneracy_reasons`) and learn/prior pinned at a bound (`pinned_reasons`)."""
    return degeneracy_reasons(p, guess_floors) + pinned_reasons(p, bounds)


def degenerate_skills(
    params: ModelParams,
    bounds: Bounds | None = None,
    guess_floors: Mapping[str, float] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The skills of a parameter set the service gate refuses, with their reasons.

    `bounds` and `guess_floors` default to the ones the fit recorded in the
    metadata (`BKTFitter` stores both), else none. Skills without a reason are
    left out, so an empty dict means the set passes.
    """
    meta = params.metadata
    if bounds is None and isinstance(meta.get("bounds"), Mapping):
        bounds = Bounds.from_dict(meta["bounds"], "metadata.bounds")
    if guess_floors is None and isinstance(meta.get("guess_floors"), Mapping):
        guess_floors = check_floors(meta["guess_floors"])
    out = {}
    for name, p in params.skills.items():
        reasons = gate_reasons(p, bounds, guess_floors)
        if reasons:
            out[name] = reasons
    return out


def bound_hits(
    p: SkillParams, bounds: Bounds, guess_floors: Mapping[str, float] | None = None
) -> tuple[str, ...]:
    """Names of parameters (or item parameters) that ended on a non-trivial bound.

    A floored item's guess is checked against its own interval (engine.bounds); one
    whose floor lies above the skill's upper bound is fixed there, not "at a bound".
    """
    floors = guess_floors or {}
    hits: list[str] = []
    for name in ("prior", "learn", "forget", "guess", "slip"):
        if bounds.hit(name, getattr(p, name)):
            hits.append(name)
    maps = (
        ("learn", p.item_learn),
        ("forget", p.item_forget),
        ("guess", p.item_guess),
        ("slip", p.item_slip),
        ("prior", p.class_prior),
    )
    for name, values in maps:
        for key, v in values.items():
            if name == "guess" and key in floors:
                lo, hi = bounds.guess_interval(floors[key])
                if lo < hi and _hit(lo, hi, v):
                    hits.append(f"{name}[{key}]")
            elif bounds.hit(name, v):
                hits.append(f"{name}[{key}]")
    return tuple(hits)


def _hit(lo: float, hi: float, v: float, eps: float = 1e-9) -> bool:
    return (lo > 0.0 and v <= lo + eps) or (hi < 1.0 and v >= hi - eps)


@dataclass(frozen=True)
class SkillReport:
    skill: str
    n_responses: int
    n_students: int
    log_likelihood: float
    iterations: int
    converged: bool
    degenerate: tuple[str, ...] = ()
    low_data: tuple[str, ...] = ()
    at_bound: tuple[str, ...] = ()
    log_posterior: float | None = None  # log-likelihood + log prior (fitted skills)
    source: Source = "fitted"  # or "kept" (parameters supplied by the caller), "omitted"
    source_reason: str = ""  # why not fitted (below the minimum data)

    @property
    def flagged(self) -> bool:
        return bool(
            self.degenerate
            or self.low_data
            or self.at_bound
            or not self.converged
            or self.source != "fitted"
        )

    def flags(self) -> list[str]:
        out = []
        if self.source != "fitted":
            out.append(f"{self.source}: {self.source_reason}")
        if not self.converged:
            out.append("not converged")
        if self.degenerate:
            out.append("degenerate")
        if self.low_data:
            out.append("low data")
        if self.at_bound:
            out.append("at bound: " + ",".join(self.at_bound))
        return out

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "n_responses": self.n_responses,
            "n_students": self.n_students,
            "log_likelihood": self.log_likelihood if math.isfinite(self.log_likelihood) else None,
            "log_posterior": (
                self.log_posterior
                if self.log_posterior is not None and math.isfinite(self.log_posterior)
                else None
            ),
            "source": self.source,
            "source_reason": self.source_reason,
            "iterations": self.iterations,
            "converged": self.converged,
            "degenerate": list(self.degenerate),
            "low_data": list(self.low_data),
            "at_bound": list(self.at_bound),
        }


def skill_report(
    skill: str,
    params: SkillParams | None,
    *,
    n_responses: int,
    n_students: int,
    log_likelihood: float,
    iterations: int,
    converged: bool,
    min_responses: int,
    min_students: int,
    bounds: Bounds = UNBOUNDED,
    log_posterior: float | None = None,
    source: Source = "fitted",
    source_reason: str = "",
    guess_floors: Mapping[str, float] | None = None,
) -> SkillReport:
    """One skill's row; `params` None for an omitted skill (nothing to check)."""
    low: list[str] = []
    if n_responses < min_responses:
        low.append(f"{n_responses} responses < {min_responses}")
    if n_students < min_students:
        low.append(f"{n_students} students < {min_students}")
    return SkillReport(
        skill=skill,
        n_responses=n_responses,
        n_students=n_students,
        log_likelihood=log_likelihood,
        iterations=iterations,
        converged=converged,
        degenerate=() if params is None else gate_reasons(params, bounds, guess_floors),
        low_data=tuple(low),
        at_bound=() if params is None else bound_hits(params, bounds, guess_floors),
        log_posterior=log_posterior,
        source=source,
        source_reason=source_reason,
    )


@dataclass(frozen=True)
class FitReport:
    """Reports of all fitted skills, in skill order."""

    skills: tuple[SkillReport, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[SkillReport]:
        return iter(self.skills)

    def __len__(self) -> int:
        return len(self.skills)

    def __getitem__(self, skill: str) -> SkillReport:
        for r in self.skills:
            if r.skill == skill:
                return r
        raise KeyError(f"no report for skill {skill!r}")

    @property
    def flagged(self) -> tuple[SkillReport, ...]:
        return tuple(r for r in self.skills if r.flagged)

    def to_json_dict(self) -> dict[str, Any]:
        return {"settings": dict(self.settings), "skills": [r.to_json_dict() for r in self.skills]}

    def to_table(self, only_flagged: bool = False, max_skill_width: int = 40) -> str:
        rows: Sequence[SkillReport] = self.flagged if only_flagged else self.skills
        head = ("skill", "responses", "students", "log-lik", "iter", "flags")
        body = []
        for r in rows:
            name = (
                r.skill if len(r.skill) <= max_skill_width else r.skill[: max_skill_width - 1] + "…"
            )
            body.append(
                (
                    name,
                    str(r.n_responses),
                    str(r.n_students),
                    f"{r.log_likelihood:.2f}" if math.isfinite(r.log_likelihood) else "-",
                    str(r.iterations),
                    "; ".join(r.flags()) or "ok",
                )
            )
        widths = [
            max(len(head[i]), *(len(b[i]) for b in body)) if body else len(head[i])
            for i in range(len(head))
        ]
        right = {1, 2, 3, 4}

        def line(cells: Sequence[str]) -> str:
            return "  ".join(
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        out = [line(head), line(["-" * w for w in widths])]
        out.extend(line(b) for b in body)
        n_flag = len(self.flagged)
        out.append(f"{len(self.skills)} skill(s), {n_flag} flagged")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_table()
