"""The student's loop, reading side: what to practise next (submitting: `answers`).

Recommendations are a pure function of the student's state and the per-process
snapshot, so they are memoised per (student, last response id, goal): the GET that
follows an answer is free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from api.services.cache import Snapshot
from api.services.errors import Invalid
from api.services.mastery import last_response_id, load_state_row
from engine.recommend.evidence import Beliefs
from engine.recommend.recommendation import Recommendation
from engine.recommend.state import StudentState
from models.practice import NextItems, PracticeItem, ReasonPhrase, Suggestion

if TYPE_CHECKING:
    from api.runtime import Runtime


def suggestion(snap: Snapshot, rec: Recommendation) -> Suggestion:
    return Suggestion(
        item=PracticeItem.model_validate(dict(snap.items[rec.item_id].student)),
        skill_id=rec.skill_id,
        skill_name=snap.skill_names.get(rec.skill_id, rec.skill_id),
        kind=rec.kind,
        reason=rec.reason,
        reason_phrases=[
            ReasonPhrase(template=p.template, fields=dict(p.fields)) for p in rec.reason_phrases
        ],
        related_skill=rec.related,
        numbers=dict(rec.numbers),
    )


def recommend(
    snap: Snapshot, state: StudentState, goal: str | None = None, beliefs: Beliefs | None = None
) -> NextItems:
    """The recommender's top item and two alternatives for this state."""
    if goal is not None and goal not in snap.graph:
        raise Invalid(f"goal: unknown skill {goal!r}")
    recs = snap.recommender.recommend(state, goal=goal, n=3, beliefs=beliefs)
    if not recs:
        return NextItems(
            recommended=None,
            alternatives=[],
            message="no items to practise yet: the curriculum has no active items"
            + (f" for skill {goal!r}" if goal else ""),
        )
    return NextItems(
        recommended=suggestion(snap, recs[0]),
        alternatives=[suggestion(snap, r) for r in recs[1:]],
    )


MEMO_LIMIT = 50_000


def remember(snap: Snapshot, key: tuple[int, int | None, str | None], value: NextItems) -> None:
    if len(snap.memo) >= MEMO_LIMIT:
        snap.memo.clear()
    snap.memo[key] = value


def next_items(
    session: Session, runtime: Runtime, student_id: int, goal: str | None = None
) -> NextItems:
    snap = runtime.cache.recent(session)
    found = snap.memo.get((student_id, last_response_id(session, student_id), goal))
    if found is not None:
        return found
    state, last_response = load_state_row(session, student_id)
    found = recommend(snap, state, goal)
    remember(snap, (student_id, last_response, goal), found)
    return found
