"""The skill graph the recommender walks: skills, a prerequisite DAG and items per skill.

Deliberately free of `content/` and pydantic: the service and the benchmark build it
from a curriculum, the tests build it by hand. Everything is validated once here so the
recommender's hot path can index without checks. Skill order as given is the curriculum
order; `order` is `engine.graph`'s topological order, which keeps curriculum order
wherever the DAG allows, so ties anywhere downstream break the way a teacher would read
the unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from engine.graph import CycleError, ancestor_sets, topological_order


class GraphError(ValueError):
    """The graph is malformed; the message names the skill or item at fault."""


@dataclass(frozen=True, slots=True)
class Item:
    """One practice item. `difficulty` is optional and only compared within a skill."""

    item_id: str
    skill_id: str
    difficulty: float | None = None


class SkillGraph:
    """Immutable skills + prerequisite DAG + items; cheap lookups for the recommender."""

    def __init__(
        self,
        skills: Sequence[str],
        prerequisites: Mapping[str, Iterable[str]] | None = None,
        items: Iterable[Item] = (),
        names: Mapping[str, str] | None = None,
    ) -> None:
        skill_list = [str(s) for s in skills]
        seen: set[str] = set()
        for s in skill_list:
            if not s:
                raise GraphError("skill ids must be non-empty strings")
            if s in seen:
                raise GraphError(f"skill {s!r} is listed twice")
            seen.add(s)
        self._curriculum_pos = {s: i for i, s in enumerate(skill_list)}

        prereqs: dict[str, tuple[str, ...]] = {s: () for s in skill_list}
        for skill, pres in (prerequisites or {}).items():
            if skill not in seen:
                raise GraphError(f"prerequisites given for unknown skill {skill!r}")
            uniq: list[str] = []
            for p in pres:
                if p not in seen:
                    raise GraphError(f"skill {skill!r}: unknown prerequisite {p!r}")
                if p == skill:
                    raise GraphError(f"skill {skill!r} lists itself as a prerequisite")
                if p not in uniq:
                    uniq.append(p)
            prereqs[skill] = tuple(sorted(uniq, key=self._curriculum_pos.__getitem__))

        edges = [(p, s) for s in skill_list for p in prereqs[s]]
        try:
            self.order: tuple[str, ...] = tuple(topological_order(skill_list, edges))
        except CycleError as exc:
            path = " -> ".join(exc.cycle)
            raise GraphError(f"prerequisites form a cycle: {path}") from None
        self.skills: tuple[str, ...] = tuple(skill_list)
        self._prereqs = prereqs
        dependents: dict[str, list[str]] = {s: [] for s in skill_list}
        for s in self.order:
            for p in prereqs[s]:
                dependents[p].append(s)
        self._dependents = {s: tuple(d) for s, d in dependents.items()}
        self._ancestors = ancestor_sets(skill_list, edges)
        self.position: dict[str, int] = {s: i for i, s in enumerate(self.order)}

        by_skill: dict[str, list[Item]] = {s: [] for s in skill_list}
        skill_of: dict[str, str] = {}
        for it in items:
            if not isinstance(it, Item):
                raise GraphError(f"items must be Item objects, got {type(it).__name__}")
            if it.skill_id not in seen:
                raise GraphError(f"item {it.item_id!r}: unknown skill {it.skill_id!r}")
            if not it.item_id:
                raise GraphError(f"skill {it.skill_id!r}: an item has an empty id")
            if it.item_id in skill_of:
                raise GraphError(f"item {it.item_id!r} is listed twice")
            if it.difficulty is not None and not math.isfinite(it.difficulty):
                raise GraphError(f"item {it.item_id!r}: difficulty must be finite")
            skill_of[it.item_id] = it.skill_id
            by_skill[it.skill_id].append(it)
        self._items = {s: tuple(v) for s, v in by_skill.items()}
        self._skill_of = skill_of
        self._names = {s: s for s in skill_list}
        for s, name in (names or {}).items():
            if s not in seen:
                raise GraphError(f"name given for unknown skill {s!r}")
            self._names[s] = str(name) or s

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, skill: object) -> bool:
        return skill in self._prereqs

    def _check(self, skill: str) -> None:
        if skill not in self._prereqs:
            raise KeyError(f"unknown skill {skill!r}")

    def prerequisites(self, skill: str) -> tuple[str, ...]:
        self._check(skill)
        return self._prereqs[skill]

    def dependents(self, skill: str) -> tuple[str, ...]:
        self._check(skill)
        return self._dependents[skill]

    def ancestors(self, skill: str) -> frozenset[str]:
        self._check(skill)
        return self._ancestors[skill]

    def items(self, skill: str) -> tuple[Item, ...]:
        self._check(skill)
        return self._items[skill]

    def skill_of(self, item_id: str) -> str:
        try:
            return self._skill_of[item_id]
        except KeyError:
            raise KeyError(f"unknown item {item_id!r}") from None

    def has_item(self, item_id: str) -> bool:
        return item_id in self._skill_of

    def name(self, skill: str) -> str:
        self._check(skill)
        return self._names[skill]

    def closure(self, skills: Iterable[str]) -> frozenset[str]:
        """The skills plus everything they build on: what mastering them requires."""
        out: set[str] = set()
        for s in skills:
            self._check(s)
            out.add(s)
            out |= self._ancestors[s]
        return frozenset(out)
