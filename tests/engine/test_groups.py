"""Small groups on hand-built states: who is held back by what, and how groups form."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.groups import Blocker, blocking_skill, suggest_groups
from engine.params import SkillParams
from engine.recommend.graph import Item, SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.state import StudentState

P = SkillParams(prior=0.2, learn=0.2, guess=0.1, slip=0.05)


def _rec() -> Recommender:
    graph = SkillGraph(
        ["a", "b", "c"],
        prerequisites={"b": ["a"], "c": ["b"]},
        items=[Item(f"{s}{j}", s) for s in "abc" for j in range(3)],
    )
    return Recommender(graph, {s: P for s in "abc"})


def _state(rec: Recommender, answers: list[tuple[str, bool]]) -> StudentState:
    state = StudentState()
    for item, correct in answers:
        rec.observe(state, item, correct)
    return state


def test_a_student_failing_on_top_of_a_gap_is_held_back_by_the_prerequisite() -> None:
    rec = _rec()
    state = _state(rec, [("a0", False), ("b0", False), ("b1", False), ("b2", False), ("b0", False)])
    found = blocking_skill(rec, 1, state, rec.beliefs(state), ["b"])
    assert found is not None and (found.skill_id, found.cause) == ("a", "gap")


def test_without_a_gap_the_weakest_goal_skill_ready_to_learn_holds_the_student_back() -> None:
    rec = _rec()
    state = _state(rec, [(i, True) for i in ("a0", "a1", "a2", "a0", "a1", "a2")])
    beliefs = rec.beliefs(state)
    assert rec.mastered(state, beliefs, "a")
    found = blocking_skill(rec, 2, state, beliefs, ["a", "b", "c"])
    # c may be weaker, but b is the one ready to learn (its prerequisite a is mastered)
    assert found is not None and (found.skill_id, found.cause) == ("b", "weakest")


def test_a_student_who_mastered_the_goal_is_held_back_by_nothing() -> None:
    rec = _rec()
    state = _state(rec, [(i, True) for i in ("a0", "a1", "a2", "a0", "a1", "a2")])
    assert blocking_skill(rec, 3, state, rec.beliefs(state), ["a"]) is None


def test_groups_form_by_skill_largest_first_and_lone_students_form_none() -> None:
    blockers = [
        Blocker(1, "b", "gap", 0.2),
        Blocker(2, "b", "weakest", 0.1),
        Blocker(3, "a", "gap", 0.3),
        Blocker(4, "a", "gap", 0.3),
        Blocker(5, "a", "weakest", 0.05),
        Blocker(6, "c", "gap", 0.4),
    ]
    groups = suggest_groups(blockers, order=["a", "b", "c"])
    assert [(g.skill_id, g.members, g.gaps, g.weakest) for g in groups] == [
        ("a", (5, 3, 4), 2, 1),
        ("b", (2, 1), 1, 1),
    ]


def test_a_large_group_is_split_into_near_equal_groups_of_similar_mastery() -> None:
    blockers = [Blocker(i, "a", "gap", i / 100) for i in range(1, 14)]
    groups = suggest_groups(blockers, order=["a"], max_size=6)
    assert [len(g.members) for g in groups] == [5, 4, 4]
    assert groups[0].members == (1, 2, 3, 4, 5)


@settings(max_examples=200, deadline=None)
@given(
    skills=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=0, max_size=40),
    min_size=st.integers(min_value=1, max_value=3),
    spare=st.integers(min_value=0, max_value=4),
)
def test_groups_hold_only_students_who_share_the_blocking_skill(
    skills: list[str], min_size: int, spare: int
) -> None:
    blockers = [Blocker(i, s, "gap", (i * 37 % 11) / 11) for i, s in enumerate(skills)]
    max_size = 2 * min_size + spare
    groups = suggest_groups(
        blockers, order=["a", "b", "c", "d"], min_size=min_size, max_size=max_size
    )
    skill_of = {b.student_id: b.skill_id for b in blockers}
    seen: list[int] = []
    for g in groups:
        assert {skill_of[m] for m in g.members} == {g.skill_id}
        assert min_size <= len(g.members) <= max_size
        assert g.gaps + g.weakest == len(g.members)
        seen.extend(g.members)
    assert len(seen) == len(set(seen))  # no student in two groups
    counts = {s: skills.count(s) for s in set(skills)}
    assert set(seen) == {b.student_id for b in blockers if counts[b.skill_id] >= min_size}
