"""Checks across a curriculum's parts: references, duplicates, cycles, coverage, keys,
and items' starting BKT values against their skills'.

Runs on whatever parsed, so a file with a malformed item still gets its
cycles and unknown references reported in the same run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from content.answers import canonical_answer, check_key
from content.cold_start import DEFAULT_STARTING, item_guess_slip, skill_starting
from content.graph import skill_graph
from content.models import Item, Skill, Unit
from content.problems import Location, Problem
from engine.graph import Edge, find_cycles
from engine.params import SkillParams

T = TypeVar("T")
Part = TypeVar("Part", Unit, Skill, Item)


@dataclass(frozen=True)
class Located(Generic[T]):
    """A parsed part with where it came from (file, path, id)."""

    location: Location
    value: T


Ref = tuple[Location, str]
"""Where a skill id is referenced (e.g. `items[3].skills[0]`), and the id."""


@dataclass(frozen=True)
class Declared:
    """Ids and skill references as written, including entries that failed to parse.

    Duplicate, reference and coverage checks run on these, so a skill with a
    bad grade band is not also reported as "unknown" wherever it is used, and a
    malformed item still gets its unknown skills reported.
    """

    units: tuple[Location, ...] = ()
    skills: tuple[Location, ...] = ()
    items: tuple[Location, ...] = ()
    unit_refs: tuple[Ref, ...] = ()
    requires_refs: tuple[Ref, ...] = ()
    item_refs: tuple[Ref, ...] = ()

    @staticmethod
    def of(
        units: Sequence[Located[Unit]],
        skills: Sequence[Located[Skill]],
        items: Sequence[Located[Item]],
    ) -> Declared:
        """What parsed parts declare (for curricula built from models, not files)."""

        def ids(parts: Sequence[Located[Part]]) -> tuple[Location, ...]:
            return tuple(Location(p.location.file, p.location.path, p.value.id) for p in parts)

        def refs(parts: Sequence[Located[Part]], field: str) -> tuple[Ref, ...]:
            return tuple(
                (p.location.child(f"{field}[{j}]"), sid)
                for p in parts
                for j, sid in enumerate(getattr(p.value, field))
            )

        return Declared(
            ids(units),
            ids(skills),
            ids(items),
            refs(units, "skills"),
            refs(skills, "requires"),
            refs(items, "skills"),
        )


def duplicate_problems(declared: Sequence[Location], kind: str) -> list[Problem]:
    """Each repeat of an id, pointing back to where it first appeared."""
    first: dict[str, Location] = {}
    problems: list[Problem] = []
    for loc in declared:
        if loc.id is None:
            continue
        if loc.id in first:
            where = first[loc.id].path or str(first[loc.id])
            problems.append(Problem(loc, f"duplicate {kind} id {loc.id!r} (first at {where})"))
        else:
            first[loc.id] = loc
    return problems


def prerequisite_edges(skills: Sequence[Skill]) -> list[Edge]:
    """(prerequisite, skill) pairs in file order."""
    return skill_graph(skills)[1]


def key_problem(item: Item) -> str | None:
    """Why the checker would reject the key's own answer, or None if it accepts it."""
    answer = canonical_answer(item.answer)
    result = check_key(item.answer, answer)
    if result.correct:
        return None
    return f"the answer checker rejects this key's own answer {answer!r}: {result.feedback}"


def starting_values(skills: Iterable[Skill]) -> dict[str, SkillParams]:
    """Each skill's starting values as validation judges them (the engine's fallback)."""
    return {s.id: skill_starting(s, DEFAULT_STARTING) for s in skills}


def starting_problem(item: Item, skills: Mapping[str, SkillParams]) -> tuple[str, str] | None:
    """(field, why) if the item's starting guess/slip for one of its skills is degenerate.

    `skills` is `starting_values(...)`. The item's values are the ones
    `content.cold_start` derives (its own, else the skill's shifted by
    difficulty, then the multiple-choice floor), so a curriculum that passes
    never hands the engine a model where a right answer lowers mastery.
    `field` is the item's declared value to change (`bkt.guess`, `bkt.slip`)
    or "" when it declares none.
    """
    if item.bkt is None and item.difficulty in (None, "medium") and item.guess_floor is None:
        return None  # the skill's own values, which its model has checked
    own = item.bkt.declared() if item.bkt is not None else {}
    if {"guess", "slip"} <= set(own):
        return None  # the item's own pair is checked by the model
    for sid in item.skills:
        if sid not in skills:
            continue
        base = skills[sid]
        guess, slip = item_guess_slip(item, base.guess, base.slip)
        if guess >= 1.0 - slip:
            field = next((f"bkt.{k}" for k in ("guess", "slip") if k in own), "")
            why = (
                f"starting guess {guess:.3g} ({_origin(item, 'guess', base.guess, guess)}) "
                f"is not below 1 - slip = {1.0 - slip:.3g} "
                f"(slip {slip:.3g}: {_origin(item, 'slip', base.slip, slip)}) for skill {sid!r}, "
                "so a right answer would lower mastery; declare the item's bkt or change the "
                "skill's"
            )
            return field, why
    return None


def _origin(item: Item, name: str, skill_value: float, value: float) -> str:
    """Where an item's starting guess or slip came from, for the message."""
    if item.bkt is not None and getattr(item.bkt, name) is not None:
        return "the item's own"
    floor = item.guess_floor
    if name == "guess" and floor is not None and value == floor:
        return f"1/{round(1 / floor)}, the chance of picking the right choice"
    if value != skill_value:
        return f"the skill's {skill_value:.3g}, shifted for a {item.difficulty} item"
    return "the skill's"


def curriculum_problems(
    units: Sequence[Located[Unit]],
    skills: Sequence[Located[Skill]],
    items: Sequence[Located[Item]],
    declared: Declared | None = None,
) -> list[Problem]:
    """Every cross-part problem, in a stable order (ids, references, graph, coverage, keys,
    starting values).

    `declared` defaults to what the parsed parts declare; loaders pass what the
    source declares, so entries that failed to parse still take part.
    """
    ids = declared or Declared.of(units, skills, items)
    problems = duplicate_problems(ids.units, "unit") + duplicate_problems(ids.skills, "skill")
    problems += duplicate_problems(ids.items, "item")
    skill_ids = {loc.id for loc in ids.skills if loc.id is not None}

    home: dict[str, str | None] = {}
    for loc, sid in ids.unit_refs:
        if sid not in skill_ids:
            problems.append(Problem(loc, f"unknown skill {sid!r}"))
        elif sid in home:
            problems.append(Problem(loc, f"skill {sid!r} is already in unit {home[sid]!r}"))
        else:
            home[sid] = loc.id
    for loc, sid in ids.requires_refs:
        if sid not in skill_ids:
            problems.append(Problem(loc, f"unknown prerequisite skill {sid!r}"))
    problems += _cycle_problems(skills)
    for loc, sid in ids.item_refs:
        if sid not in skill_ids:
            problems.append(Problem(loc, f"unknown skill {sid!r}"))

    covered = {sid for _, sid in ids.item_refs}
    for loc in ids.skills:
        if loc.id is None:
            continue
        if loc.id not in home and ids.units:
            problems.append(Problem(loc, f"skill {loc.id!r} is not in any unit"))
        if loc.id not in covered:
            problems.append(Problem(loc, f"skill {loc.id!r} has no items"))

    for it in items:
        if (why := key_problem(it.value)) is not None:
            problems.append(Problem(it.location.child("answer"), why))
    return problems + _starting_problems(skills, items)


def _starting_problems(
    skills: Sequence[Located[Skill]], items: Sequence[Located[Item]]
) -> list[Problem]:
    """Each degenerate starting item, once per template family (its sets share the cause)."""
    by_id = starting_values(s.value for s in skills)
    seen: set[tuple[str, str, str]] = set()
    problems: list[Problem] = []
    for it in items:
        found = starting_problem(it.value, by_id)
        if found is None:
            continue
        key = (it.value.family or it.value.id, *found)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(it.location.child(found[0]), found[1]))
    return problems


def _cycle_problems(skills: Sequence[Located[Skill]]) -> list[Problem]:
    where: dict[str, Location] = {}
    for s in skills:
        where.setdefault(s.value.id, s.location)
    edges = [(a, b) for a, b in prerequisite_edges([s.value for s in skills]) if a in where]
    problems: list[Problem] = []
    for cycle in find_cycles(list(where), edges):
        path = " -> ".join(cycle)
        message = f"prerequisite cycle: {path} (each skill is a prerequisite of the next)"
        problems.append(Problem(where[cycle[1]].child("requires"), message))
    return problems
