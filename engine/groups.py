"""Small-group suggestions: students held back by the same skill, worked on together.

A student's blocking skill is the skill the recommender would send them to when that is
a gap (an unmastered prerequisite of what they are struggling with), else the weakest
unmastered skill of their goal that they are ready for (its prerequisites mastered;
any unmastered goal skill when none is ready), by effective mastery, ties in curriculum
order. Without a goal, the whole curriculum is the goal.
Students with the same blocking skill form a group; a group larger than `max_size` is
split into near-equal groups of students with similar mastery of the skill. Skills
shared by fewer than `min_size` students give no group: one student is not a group.
Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from engine.recommend.evidence import Beliefs
from engine.recommend.policy import Recommender
from engine.recommend.state import StudentState

Cause = Literal["gap", "weakest"]


@dataclass(frozen=True, slots=True)
class Blocker:
    student_id: int
    skill_id: str
    cause: Cause
    known: float  # effective mastery of the skill (groups are split by it)


@dataclass(frozen=True, slots=True)
class Group:
    skill_id: str
    members: tuple[int, ...]
    gaps: int  # members the recommender sends to the skill as a gap
    weakest: int  # members for whom it is the weakest goal skill


def blocking_skill(
    recommender: Recommender,
    student_id: int,
    state: StudentState,
    beliefs: Beliefs,
    goal: Sequence[str] | None,
) -> Blocker | None:
    """The skill holding the student back, or None when every goal skill is mastered."""
    graph = recommender.graph
    scope = [s for s in (goal if goal else graph.skills) if s in graph]
    if not scope:
        return None
    recs = recommender.recommend(state, goal=scope, n=1, beliefs=beliefs)
    if recs and recs[0].kind == "gap":
        skill = recs[0].skill_id
        return Blocker(student_id, skill, "gap", beliefs.effective[skill])
    wanted = set(scope)
    done = {s for s in graph.skills if recommender.mastered(state, beliefs, s)}
    open_skills = [s for s in graph.order if s in wanted and graph.items(s) and s not in done]
    if not open_skills:
        return None
    # the weakest skill the student is ready for (prerequisites mastered), else any
    ready = [s for s in open_skills if all(p in done for p in graph.prerequisites(s))]
    weakest = min(ready or open_skills, key=lambda s: beliefs.effective[s])  # first tie wins
    return Blocker(student_id, weakest, "weakest", beliefs.effective[weakest])


def suggest_groups(
    blockers: Sequence[Blocker],
    order: Sequence[str],
    min_size: int = 2,
    max_size: int = 6,
) -> list[Group]:
    """Groups of students sharing a blocking skill: largest first, then in `order`."""
    if min_size < 1 or max_size < min_size:
        raise ValueError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    by_skill: dict[str, list[Blocker]] = {}
    for b in blockers:
        by_skill.setdefault(b.skill_id, []).append(b)
    position: Mapping[str, int] = {s: i for i, s in enumerate(order)}
    out: list[Group] = []
    for skill, found in by_skill.items():
        if len(found) < min_size:
            continue
        found.sort(key=lambda b: (b.known, b.student_id))
        parts = -(-len(found) // max_size)
        size, extra = divmod(len(found), parts)
        start = 0
        for k in range(parts):
            chunk = found[start : start + size + (1 if k < extra else 0)]
            start += len(chunk)
            out.append(
                Group(
                    skill_id=skill,
                    members=tuple(b.student_id for b in chunk),
                    gaps=sum(b.cause == "gap" for b in chunk),
                    weakest=sum(b.cause == "weakest" for b in chunk),
                )
            )
    out.sort(key=lambda g: (-len(g.members), position.get(g.skill_id, len(position)), g.members))
    return out
