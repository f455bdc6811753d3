"""A validated curriculum: units, skills and (template-expanded) items.

Constructing a `Curriculum` runs the cross-part checks, so any instance is
consistent: every reference resolves, ids are unique, prerequisites form a
DAG, every skill has items and every key is accepted by the checker. Use
`content.loader` to get located error reports; direct construction only says
*that* something is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from content.checks import Located, curriculum_problems, prerequisite_edges
from content.graph import skill_graph
from content.models import Id, Item, Skill, Text, Unit
from content.problems import Location
from engine.graph import Edge, topological_order

FORMAT_VERSION: Literal[1] = 1
T = TypeVar("T", Unit, Skill, Item)


def located(parts: Sequence[T], section: str, file: str | None = None) -> list[Located[T]]:
    """Parts of one section with their default locations (`section[i]`, id)."""
    return [
        Located(Location(file, f"{section}[{i}]", getattr(p, "id", None)), p)
        for i, p in enumerate(parts)
    ]


@dataclass
class _Index:
    skills: dict[str, Skill] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    by_skill: dict[str, list[Item]] = field(default_factory=dict)
    unit_of: dict[str, Unit] = field(default_factory=dict)


class Curriculum(BaseModel):
    """A whole curriculum; immutable, safe to share between requests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: Literal[1] = FORMAT_VERSION
    id: Id
    name: Text
    description: str = ""
    units: tuple[Unit, ...] = Field(min_length=1)
    skills: tuple[Skill, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)

    _index: _Index | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Curriculum:
        problems = curriculum_problems(
            located(self.units, "units"),
            located(self.skills, "skills"),
            located(self.items, "items"),
        )
        if problems:
            shown = "; ".join(str(p) for p in problems[:10])
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise ValueError(f"inconsistent curriculum: {shown}{more}")
        return self

    def _idx(self) -> _Index:
        if self._index is None:
            idx = _Index()
            idx.skills = {s.id: s for s in self.skills}
            idx.units = {u.id: u for u in self.units}
            idx.items = {i.id: i for i in self.items}
            idx.by_skill = {s.id: [] for s in self.skills}
            for item in self.items:
                for sid in item.skills:
                    idx.by_skill[sid].append(item)
            idx.unit_of = {sid: u for u in self.units for sid in u.skills}
            self._index = idx
        return self._index

    def skill(self, skill_id: str) -> Skill:
        """The skill with this id; KeyError if absent."""
        return self._idx().skills[skill_id]

    def unit(self, unit_id: str) -> Unit:
        return self._idx().units[unit_id]

    def item(self, item_id: str) -> Item:
        return self._idx().items[item_id]

    def items_for(self, skill_id: str) -> tuple[Item, ...]:
        """Items practising this skill (an item may practise several), in file order."""
        if skill_id not in self._idx().skills:
            raise KeyError(skill_id)
        return tuple(self._idx().by_skill[skill_id])

    def unit_of(self, skill_id: str) -> Unit:
        return self._idx().unit_of[skill_id]

    def prerequisite_edges(self) -> list[Edge]:
        """(prerequisite, skill) pairs."""
        return prerequisite_edges(self.skills)

    def graph(self) -> tuple[list[str], list[Edge]]:
        """The prerequisite DAG as plain (nodes, edges), for `engine.graph`."""
        return skill_graph(self.skills)

    def skill_order(self) -> list[str]:
        """A teaching order: prerequisites first, otherwise unit order then order in unit."""
        nodes = [sid for u in self.units for sid in u.skills]
        return topological_order(nodes, self.prerequisite_edges())

    def mastery_thresholds(self) -> dict[str, float]:
        return {s.id: s.mastery_threshold for s in self.skills}

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data that `curriculum_from_data` reads back to an equal curriculum."""
        return self.model_dump(mode="json")
