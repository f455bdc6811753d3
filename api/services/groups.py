"""Small-group suggestions for a class (the grouping itself is `engine.groups`).

Each student's blocking skill is read against their current goal (the whole curriculum
when they have none). A suggestion names the skill, its students, two or three items of
the skill to work through together (those the fewest members have answered, easiest
first) and a one-line reason. A teacher turns one into a goal for those students with
`POST /api/classes/{id}/goals` (`skills: [skill]`, `student_ids`).
"""

from __future__ import annotations

from api.services.class_overview import ClassOverview
from engine.groups import Blocker, Group, blocking_skill, suggest_groups
from models.class_reports import GroupItem, GroupMember, GroupSuggestion, GroupSuggestions

ITEMS_PER_GROUP = 3
DEFINITION = (
    "Students held back by the same skill: the one the recommender sends them back to "
    "as a gap in what they build on, else the weakest skill of their goal (or of the "
    "curriculum) they are ready to learn. "
    "Groups have 2 to 6 students."
)


def _reason(group: Group, name: str) -> str:
    parts = []
    if group.gaps:
        parts.append(
            f"the recommender sends {group.gaps} of them back to it to fill a gap"
            if group.gaps < len(group.members)
            else "the recommender sends each of them back to it to fill a gap"
        )
    if group.weakest:
        parts.append(
            f"it is the weakest skill {group.weakest} of them are ready to learn"
            if group.weakest < len(group.members)
            else "it is the weakest skill each of them is ready to learn"
        )
    return f"{len(group.members)} students are held back by {name}: " + " and ".join(parts) + "."


def class_groups(overview: ClassOverview) -> GroupSuggestions:
    snap = overview.snap
    rec = snap.recommender
    blockers: list[Blocker] = []
    for s in overview.students:
        goal = s.goal.skills if s.goal is not None else None
        found = blocking_skill(rec, s.enrolment.student_id, s.state, s.beliefs, goal)
        if found is not None:
            blockers.append(found)
    people = {s.enrolment.student_id: s for s in overview.students}
    out = []
    for g in suggest_groups(blockers, order=snap.graph.order):
        items = sorted(
            snap.graph.items(g.skill_id),
            key=lambda it: (
                sum(it.item_id in people[m].state.item_seen for m in g.members),
                it.difficulty is None,
                it.difficulty or 0.0,
                it.item_id,
            ),
        )[:ITEMS_PER_GROUP]
        name = snap.skill_names.get(g.skill_id, g.skill_id)
        out.append(
            GroupSuggestion(
                skill_id=g.skill_id,
                skill_name=name,
                size=len(g.members),
                students=[GroupMember(student_id=m, name=people[m].name) for m in g.members],
                items=[
                    GroupItem(item_id=it.item_id, prompt=snap.items[it.item_id].content.prompt)
                    for it in items
                ],
                reason=_reason(g, name),
            )
        )
    assert overview.classroom.id is not None
    return GroupSuggestions(class_id=overview.classroom.id, groups=out, definition=DEFINITION)
