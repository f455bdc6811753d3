"""Per-skill diagnostics of a fit: data size, convergence and warning flags.

A fitted parameter set is only as trustworthy as the data and the optimum
behind it; the report says which skills a teacher-facing product should not
rely on (degenerate parameters, too little data, parameters pinned at a bound).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.bounds import UNBOUNDED, Bounds
from engine.params import SkillParams


def degeneracy_reasons(p: SkillParams) -> tuple[str, ...]:
    """Why mastery would not mean "more likely correct" (checked per item too)."""
    reasons: list[str] = []
    items = sorted(set(p.item_guess) | set(p.item_slip))
    for item in [None, *items]:
        g, s = p.guess_for(item), p.slip_for(item)
        where = "" if item is None else f" (item {item!r})"
        if g > 1.0 - s:
            reasons.append(f"guess {g:.3f} > 1 - slip {1.0 - s:.3f}{where}")
        if g > 0.5:
            reasons.append(f"guess {g:.3f} > 0.5{where}")
        if s > 0.5:
            reasons.append(f"slip {s:.3f} > 0.5{where}")
    return tuple(reasons)


def bound_hits(p: SkillParams, bounds: Bounds) -> tuple[str, ...]:
    """Names of parameters (or item parameters) that ended on a non-trivial bound."""
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
            if bounds.hit(name, v):
                hits.append(f"{name}[{key}]")
    return tuple(hits)


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

    @property
    def flagged(self) -> bool:
        return bool(self.degenerate or self.low_data or self.at_bound or not self.converged)

    def flags(self) -> list[str]:
        out = []
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
            "iterations": self.iterations,
            "converged": self.converged,
            "degenerate": list(self.degenerate),
            "low_data": list(self.low_data),
            "at_bound": list(self.at_bound),
        }


def skill_report(
    skill: str,
    params: SkillParams,
    *,
    n_responses: int,
    n_students: int,
    log_likelihood: float,
    iterations: int,
    converged: bool,
    min_responses: int,
    min_students: int,
    bounds: Bounds = UNBOUNDED,
) -> SkillReport:
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
        degenerate=degeneracy_reasons(params),
        low_data=tuple(low),
        at_bound=bound_hits(params, bounds),
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
                    f"{r.log_likelihood:.2f}",
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
