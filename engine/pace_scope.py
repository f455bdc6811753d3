"""What a pace projection must still cover for one student and goal (pure, no I/O).

The scope is the goal's skills not yet mastered plus their prerequisites whose effective
mastery is still below the threshold (the recommender sends a student to those first).
Each starts from the student's effective mastery, the belief the recommender rates
mastery on, with the recommender's parameters for the skill. A goal skill never
answered, or rated high without being confirmed, needs at least one more answer:
mastery rests on the student's own evidence. Skills without items cannot be practised
and are left out. Once every goal skill is mastered nothing is left to cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.pace import SkillStart
from engine.recommend.evidence import Beliefs
from engine.recommend.policy import Recommender
from engine.recommend.state import StudentState


@dataclass(frozen=True, slots=True)
class GoalSkillState:
    skill_id: str
    mastered: bool
    known: float  # effective mastery now


def goal_scope(
    recommender: Recommender, state: StudentState, beliefs: Beliefs, goal: Sequence[str]
) -> tuple[list[GoalSkillState], list[SkillStart]]:
    """(each goal skill's standing in curriculum order, the starts left to project)."""
    graph = recommender.graph
    goal_set = set(goal)
    scope = graph.closure([s for s in goal if s in graph])
    progress: list[GoalSkillState] = []
    starts: list[SkillStart] = []
    for skill in graph.order:
        if skill not in scope:
            continue
        known = min(max(beliefs.effective.get(skill, 0.0), 0.0), 1.0)
        threshold = recommender.settings.threshold(skill)
        minimum = 0
        if skill in goal_set:
            done = recommender.mastered(state, beliefs, skill)
            progress.append(GoalSkillState(skill, done, known))
            if done:
                continue
            minimum = 1 if state.attempts(skill) == 0 or known >= threshold else 0
        elif known >= threshold:
            continue
        if not graph.items(skill):
            continue
        starts.append(SkillStart(skill, known, recommender.params[skill], threshold, minimum))
    if progress and all(p.mastered for p in progress):
        starts = []
    return progress, starts
