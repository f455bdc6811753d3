"""Hand-built skill graphs and parameters shared by the recommender tests."""

from __future__ import annotations

from engine.params import SkillParams
from engine.recommend import Item, SkillGraph


def items_for(skills: list[str], per_skill: int = 4) -> list[Item]:
    return [Item(f"{s}{k}", s, float(k % 3)) for s in skills for k in range(per_skill)]


def chain(per_skill: int = 4) -> SkillGraph:
    """A -> B -> C: Unit fractions, Equivalent fractions, Adding fractions."""
    skills = ["A", "B", "C"]
    return SkillGraph(
        skills,
        {"B": ["A"], "C": ["B"]},
        items_for(skills, per_skill),
        names={"A": "Unit fractions", "B": "Equivalent fractions", "C": "Adding fractions"},
    )


def diamond(per_skill: int = 4) -> SkillGraph:
    """A -> B, A -> C, (B, C) -> D, plus an unrelated root E."""
    skills = ["A", "B", "C", "D", "E"]
    return SkillGraph(
        skills, {"B": ["A"], "C": ["A"], "D": ["B", "C"]}, items_for(skills, per_skill)
    )


def params_for(
    graph: SkillGraph,
    prior: float = 0.2,
    learn: float = 0.2,
    guess: float = 0.2,
    slip: float = 0.1,
    forget: float = 0.0,
) -> dict[str, SkillParams]:
    return {
        s: SkillParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget)
        for s in graph.skills
    }
