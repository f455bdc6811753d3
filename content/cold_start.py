"""Starting BKT parameters for a school with no answers yet, from what the curriculum declares.

A skill starts from the values it declares (the loader has already filled in
the curriculum's `defaults`), and from `fallback` for anything still missing.
An item starts from its skill's guess/slip, shifted by its difficulty tag
unless it declares its own, with a multiple-choice guess never below the
chance of picking the right choice at random. Pure functions: the service
rebuilds skills and items from stored definition JSON and calls them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from content.models import Difficulty, Item, Skill
from engine.params import ModelParams, SkillParams

DEFAULT_STARTING = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, forget=0.0)
"""For fields no skill or default declares: typical of fitted classroom models (about a
third know a skill on arrival, about one in seven learns it from each question, one in
five guesses right and one in ten slips), and never degenerate."""

DIFFICULTY_SHIFT: Mapping[Difficulty, float] = MappingProxyType(
    {"easy": 0.4, "medium": 0.0, "hard": -0.4}
)
"""Added to the logit of an item's guess and subtracted from the logit of its slip: an easy
item is guessed more and slipped on less than its skill's average, a hard one the opposite.
Equal and opposite shifts keep guess < 1 - slip whenever the skill's values satisfy it."""

SOURCE = "curriculum cold start"
"""`metadata["source"]` of parameters made here, so no one mistakes them for a fit."""


def shift_logit(p: float, by: float) -> float:
    """p moved by `by` on the logit scale; 0 and 1 stay put (they have no logit)."""
    if by == 0.0 or p <= 0.0 or p >= 1.0:
        return p
    x = math.log(p) - math.log1p(-p) + by
    if x >= 0.0:  # the two halves of the logistic, so exp never overflows
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


def guess_floors(items: Iterable[Item]) -> dict[str, float]:
    """Item id -> 1/number of choices, for multiple-choice items (other types have no floor)."""
    return {it.id: floor for it in items if (floor := it.guess_floor) is not None}


def skill_starting(skill: Skill, fallback: SkillParams = DEFAULT_STARTING) -> SkillParams:
    """The skill's declared prior, learn, guess, slip and forget, else `fallback`'s."""
    declared = skill.bkt.declared() if skill.bkt is not None else {}
    names = ("prior", "learn", "guess", "slip", "forget")
    return SkillParams(**{name: declared.get(name, getattr(fallback, name)) for name in names})


def item_guess_slip(item: Item, guess: float, slip: float) -> tuple[float, float]:
    """The item's starting (guess, slip) given its skill's.

    Declared values win; otherwise the difficulty shift applies (none for
    medium or untagged items); the multiple-choice floor is applied last.
    """
    own = item.bkt.declared() if item.bkt is not None else {}
    by = DIFFICULTY_SHIFT[item.difficulty] if item.difficulty is not None else 0.0
    g = own.get("guess", shift_logit(guess, by))
    s = own.get("slip", shift_logit(slip, -by))
    floor = item.guess_floor
    return (g if floor is None else max(g, floor)), s


def starting_params(
    skills: Iterable[Skill], items: Iterable[Item], fallback: SkillParams = DEFAULT_STARTING
) -> ModelParams:
    """One SkillParams per skill, with per-item guess/slip where an item's differ from it.

    A multi-skill item gets entries under each of its skills, derived from
    that skill's values; skills not among `skills` (e.g. retired) are skipped.
    ValueError if a skill or item would be degenerate (guess >= 1 - slip):
    a validated curriculum never is with the default fallback.
    """
    base = {s.id: skill_starting(s, fallback) for s in skills}
    guesses: dict[str, dict[str, float]] = {sid: {} for sid in base}
    slips: dict[str, dict[str, float]] = {sid: {} for sid in base}
    for item in items:
        for sid in item.skills:
            if sid not in base:
                continue
            g, s = item_guess_slip(item, base[sid].guess, base[sid].slip)
            if g != base[sid].guess:
                guesses[sid][item.id] = g
            if s != base[sid].slip:
                slips[sid][item.id] = s
    params = {
        sid: SkillParams(
            prior=p.prior,
            learn=p.learn,
            guess=p.guess,
            slip=p.slip,
            forget=p.forget,
            item_guess=guesses[sid],
            item_slip=slips[sid],
        )
        for sid, p in base.items()
    }
    for sid, p in params.items():
        _refuse_degenerate(sid, p)
    return ModelParams(
        skills=params,
        forgets=any(p.forget > 0.0 for p in params.values()),
        multigs=any(p.item_guess or p.item_slip for p in params.values()),
        metadata={
            "source": SOURCE,
            "fallback": {k: v for k, v in fallback.to_dict().items() if not isinstance(v, dict)},
            "difficulty_logit_shift": dict(DIFFICULTY_SHIFT),
        },
    )


def _refuse_degenerate(skill_id: str, p: SkillParams) -> None:
    for item in [None, *sorted(set(p.item_guess) | set(p.item_slip))]:
        g, s = p.guess_for(item), p.slip_for(item)
        if g >= 1.0 - s:
            where = f"skill {skill_id!r}" + ("" if item is None else f", item {item!r}")
            raise ValueError(f"{where}: starting guess {g:g} is not below 1 - slip = {1 - s:g}")
