"""Comparison policies for the classroom benchmark, plus an adapter for our recommender.

Every policy answers one question, `next_item(state)`, from the same `StudentState` the
recommender reads (BKT mastery under the tutor's parameters, counts, streaks). One
instance serves one student. When a baseline's own rule says the goal is done but the
simulated student is not, it keeps going the way a teacher would: mixed review, one item
per goal skill in curriculum order, least recently practised first (`_mixed_review`).
Within a skill every baseline takes the least recently seen item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

import numpy as np

from engine.params import SkillParams
from engine.recommend.graph import SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.state import StudentState


class Policy(Protocol):
    name: str

    def next_item(self, state: StudentState) -> str: ...


def goal_skills(graph: SkillGraph, goal: Iterable[str] | None) -> tuple[str, ...]:
    """Goal skills plus their prerequisites, in curriculum (topological) order, with items."""
    scope = graph.closure(graph.skills if goal is None else goal)
    skills = tuple(s for s in graph.order if s in scope and graph.items(s))
    if not skills:
        raise ValueError("no skill of the goal (or its prerequisites) has any items")
    return skills


def least_recent_item(graph: SkillGraph, state: StudentState, skill: str) -> str:
    best, best_seen = "", 0
    for it in graph.items(skill):
        seen = state.item_seen.get(it.item_id, -1)
        if not best or seen < best_seen:
            best, best_seen = it.item_id, seen
    return best


def _mixed_review(graph: SkillGraph, state: StudentState, skills: tuple[str, ...]) -> str:
    skill = min(skills, key=lambda s: (state.last_step(s), graph.position[s]))
    return least_recent_item(graph, state, skill)


class FixedOrder:
    """A workbook: `items_per_skill` items per skill in curriculum order, then again."""

    name = "fixed_order"

    def __init__(
        self, graph: SkillGraph, goal: Iterable[str] | None = None, items_per_skill: int = 8
    ) -> None:
        if items_per_skill < 1:
            raise ValueError(f"items_per_skill must be >= 1, got {items_per_skill}")
        self.graph = graph
        self.skills = goal_skills(graph, goal)
        self.items_per_skill = items_per_skill

    def next_item(self, state: StudentState) -> str:
        least = min(state.attempts(s) for s in self.skills)
        quota = self.items_per_skill * (1 + least // self.items_per_skill)
        skill = next(s for s in self.skills if state.attempts(s) < quota)
        return least_recent_item(self.graph, state, skill)


class MasteryLearning:
    """Cognitive Tutor style: practise each skill in order until BKT mastery >= threshold."""

    name = "mastery_learning"

    def __init__(
        self,
        graph: SkillGraph,
        params: Mapping[str, SkillParams],
        goal: Iterable[str] | None = None,
        threshold: float | Callable[[str], float] = 0.95,
    ) -> None:
        self.graph = graph
        self.params = params
        self.skills = goal_skills(graph, goal)
        bar = threshold
        self.threshold: Callable[[str], float] = bar if callable(bar) else (lambda _: bar)

    def next_item(self, state: StudentState) -> str:
        for s in self.skills:
            if state.mastery(s, self.params[s]) < self.threshold(s):
                return least_recent_item(self.graph, state, s)
        return _mixed_review(self.graph, state, self.skills)


class ThreeInARow:
    """ASSISTments skill builder style: each skill in order until N correct in a row."""

    name = "three_in_a_row"

    def __init__(self, graph: SkillGraph, goal: Iterable[str] | None = None, streak: int = 3):
        if streak < 1:
            raise ValueError(f"streak must be >= 1, got {streak}")
        self.graph = graph
        self.skills = goal_skills(graph, goal)
        self.streak = streak
        self.done: set[str] = set()

    def next_item(self, state: StudentState) -> str:
        for s in self.skills:
            if s in self.done:
                continue
            if state.correct_streak(s) >= self.streak:
                self.done.add(s)
                continue
            return least_recent_item(self.graph, state, s)
        return _mixed_review(self.graph, state, self.skills)


class RandomPolicy:
    """A uniformly random goal skill, then a uniformly random item of it."""

    name = "random"

    def __init__(
        self, graph: SkillGraph, rng: np.random.Generator, goal: Iterable[str] | None = None
    ) -> None:
        self.graph = graph
        self.skills = goal_skills(graph, goal)
        self.rng = rng

    def next_item(self, state: StudentState) -> str:
        skill = self.skills[int(self.rng.integers(len(self.skills)))]
        items = self.graph.items(skill)
        return items[int(self.rng.integers(len(items)))].item_id


class RecommenderPolicy:
    """Our recommender, with the student always taking the first of the three choices."""

    name = "recommender"

    def __init__(self, recommender: Recommender, goal: Iterable[str] | None = None) -> None:
        self.recommender = recommender
        self.goal = None if goal is None else tuple(goal)

    def next_item(self, state: StudentState) -> str:
        recs = self.recommender.recommend(state, self.goal, n=1)
        if not recs:
            raise ValueError("the recommender has no item to offer: no goal skill has items")
        return recs[0].item_id
