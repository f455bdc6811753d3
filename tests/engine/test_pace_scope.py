"""What a projection covers: unmastered goal skills and the prerequisites below them."""

from __future__ import annotations

from engine.pace_scope import goal_scope
from engine.params import SkillParams
from engine.recommend.graph import Item, SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.state import StudentState

P = SkillParams(prior=0.2, learn=0.3, guess=0.1, slip=0.05)


def _rec() -> Recommender:
    graph = SkillGraph(
        ["a", "b", "c"],
        prerequisites={"b": ["a"], "c": ["b"]},
        items=[Item(f"{s}{j}", s) for s in "abc" for j in range(3)],
    )
    return Recommender(graph, {s: P for s in "abc"})


def test_a_fresh_student_must_cover_the_goal_and_its_prerequisites() -> None:
    rec = _rec()
    state = StudentState()
    progress, starts = goal_scope(rec, state, rec.beliefs(state), ["b"])
    assert [(g.skill_id, g.mastered) for g in progress] == [("b", False)]
    assert [(s.skill_id, s.min_attempts) for s in starts] == [("a", 0), ("b", 1)]
    assert starts[0].known == rec.beliefs(state).effective["a"]


def test_a_mastered_goal_leaves_nothing_to_cover() -> None:
    rec = _rec()
    state = StudentState()
    for _ in range(8):
        for item in ("a0", "b0"):
            rec.observe(state, item, True)
    beliefs = rec.beliefs(state)
    assert rec.mastered(state, beliefs, "b")
    progress, starts = goal_scope(rec, state, beliefs, ["b"])
    assert [g.mastered for g in progress] == [True] and starts == []
    _, towards_c = goal_scope(rec, state, beliefs, ["c"])
    assert [s.skill_id for s in towards_c] == ["c"]  # a and b are known: only c is left
