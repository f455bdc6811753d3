"""A student's mastery path on one skill, replayed from their logged answers.

Uses the service's own `record_answer` on a fresh `StudentState` in log order,
so the curve's last point is exactly the mastery the student has now (with the
active parameters), forgetting between opportunities included.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.pages.curve import CurvePoint
from api.services.cache import Snapshot
from api.services.mastery import record_answer
from engine.recommend.state import StudentState
from models.practice import HistoryEntry


def mastery_path(
    snap: Snapshot, oldest_first: Sequence[HistoryEntry], skill: str
) -> tuple[float, list[CurvePoint]]:
    """(prior, one point per answer credited to `skill`) for the curve."""
    state = StudentState()
    params = snap.skill_params(skill)
    prior = state.mastery(skill, params)
    points: list[CurvePoint] = []
    for e in oldest_first:
        record_answer(state, snap, e.item_id, e.skills, e.correct)
        if skill in e.skills:
            points.append(CurvePoint(state.mastery(skill, params), e.correct, e.item_id))
    return prior, points
