"""Typed, validated BKT parameters and their versioned JSON form.

A skill's parameters are a frozen value object so that a fitted model can be
shared between threads of the service and never mutated behind a reader's back.
Variants (per-item guess/slip, per-item learn, per-class prior) are optional
maps that fall back to the skill-level value for unseen keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

FORMAT_NAME = "pathways.bkt-params"
FORMAT_VERSION = 1

_SCALARS = ("prior", "learn", "guess", "slip", "forget")
_MAPS = ("item_guess", "item_slip", "item_learn", "item_forget", "class_prior")


class ParamsError(ValueError):
    """A parameter value or file is invalid; the message names where."""


def _check_probability(value: float, where: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParamsError(f"{where}: expected a probability, got {value!r}") from None
    if not math.isfinite(v) or v < 0.0 or v > 1.0:
        raise ParamsError(f"{where}: probability must be in [0, 1], got {value!r}")
    return v


def _frozen_map(values: Mapping[str, float] | None, where: str) -> Mapping[str, float]:
    checked = {str(k): _check_probability(v, f"{where}[{k!r}]") for k, v in (values or {}).items()}
    return MappingProxyType(checked)


@dataclass(frozen=True, eq=True)
class SkillParams:
    """BKT parameters of one skill.

    `forget` is P(known -> unknown) per opportunity (0 in classic BKT).
    `item_*` maps hold per-item overrides (KT-IDEM guess/slip, per-item learn);
    `class_prior` holds a prior per student class. The transition after a
    response to item i uses item i's learn/forget: the item practised teaches.
    """

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0
    item_guess: Mapping[str, float] = field(default_factory=dict)
    item_slip: Mapping[str, float] = field(default_factory=dict)
    item_learn: Mapping[str, float] = field(default_factory=dict)
    item_forget: Mapping[str, float] = field(default_factory=dict)
    class_prior: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _SCALARS:
            object.__setattr__(self, name, _check_probability(getattr(self, name), name))
        for name in _MAPS:
            object.__setattr__(self, name, _frozen_map(getattr(self, name), name))

    __hash__ = None  # type: ignore[assignment]  # maps make it unhashable by design

    def guess_for(self, item: str | None = None) -> float:
        return self.item_guess.get(item, self.guess) if item is not None else self.guess

    def slip_for(self, item: str | None = None) -> float:
        return self.item_slip.get(item, self.slip) if item is not None else self.slip

    def learn_for(self, item: str | None = None) -> float:
        return self.item_learn.get(item, self.learn) if item is not None else self.learn

    def forget_for(self, item: str | None = None) -> float:
        return self.item_forget.get(item, self.forget) if item is not None else self.forget

    def prior_for(self, student_class: str | None = None) -> float:
        if student_class is None:
            return self.prior
        return self.class_prior.get(student_class, self.prior)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        for name in _MAPS:
            values = getattr(self, name)
            if values:
                out[name] = dict(values)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "skill") -> SkillParams:
        if not isinstance(data, Mapping):
            raise ParamsError(f"{where}: expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(f"{where}: unknown field(s) {unknown}")
        missing = [name for name in ("prior", "learn", "guess", "slip") if name not in data]
        if missing:
            raise ParamsError(f"{where}: missing field(s) {missing}")
        try:
            return cls(**dict(data))
        except ParamsError as exc:
            raise ParamsError(f"{where}.{exc}") from None


@dataclass(frozen=True)
class ModelParams:
    """A fitted model: parameters per skill plus the variant flags it was fitted with."""

    skills: Mapping[str, SkillParams]
    forgets: bool = False
    multigs: bool = False
    multilearn: bool = False
    multiprior: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", MappingProxyType(dict(self.skills)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, skill: str) -> SkillParams:
        try:
            return self.skills[skill]
        except KeyError:
            raise KeyError(f"no parameters for skill {skill!r}") from None

    def __contains__(self, skill: object) -> bool:
        return skill in self.skills

    def __len__(self) -> int:
        return len(self.skills)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "variant": {
                "forgets": self.forgets,
                "multigs": self.multigs,
                "multilearn": self.multilearn,
                "multiprior": self.multiprior,
            },
            "metadata": dict(self.metadata),
            "skills": {name: p.to_dict() for name, p in self.skills.items()},
        }

    @classmethod
    def from_json_dict(cls, data: Any, where: str = "params") -> ModelParams:
        if not isinstance(data, Mapping):
            raise ParamsError(f"{where}: expected a JSON object at the top level")
        if data.get("format") != FORMAT_NAME:
            raise ParamsError(
                f"{where}: 'format' must be {FORMAT_NAME!r}, got {data.get('format')!r}"
            )
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise ParamsError(
                f"{where}: unsupported version {version!r} (this build reads {FORMAT_VERSION})"
            )
        variant = data.get("variant", {})
        if not isinstance(variant, Mapping):
            raise ParamsError(f"{where}.variant: expected an object")
        skills_raw = data.get("skills")
        if not isinstance(skills_raw, Mapping):
            raise ParamsError(f"{where}.skills: expected an object of skill -> parameters")
        skills = {
            str(name): SkillParams.from_dict(p, where=f"{where}.skills[{name!r}]")
            for name, p in skills_raw.items()
        }
        return cls(
            skills=skills,
            forgets=bool(variant.get("forgets", False)),
            multigs=bool(variant.get("multigs", False)),
            multilearn=bool(variant.get("multilearn", False)),
            multiprior=bool(variant.get("multiprior", False)),
            metadata=dict(data.get("metadata", {})),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> ModelParams:
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise ParamsError(f"{p}: no such parameter file") from None
        except json.JSONDecodeError as exc:
            raise ParamsError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        return cls.from_json_dict(data, where=str(p))


def with_guess_floors(
    p: SkillParams, floors: Mapping[str, float], items: Iterable[str]
) -> SkillParams:
    """`p` with every listed item's guess raised to its floor (a multiple-choice item is
    guessed right at least 1/choices of the time, whatever a fit or an upload says)."""
    raised = {
        item: floors[item] for item in items if item in floors and p.guess_for(item) < floors[item]
    }
    if not raised:
        return p
    return replace(p, item_guess={**p.item_guess, **raised})
