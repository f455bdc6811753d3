"""The response log as the engine's `Responses`, for fitting and item statistics.

An answer to an item tagged with several skills counts as one response on each of
them (the usual multi-skill expansion), in log order.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine.responses import Responses
from models.responses import ResponseLog


def log_responses(session: Session, skills: Collection[str] | None = None) -> Responses | None:
    """All logged responses (optionally only these skills); None when there are none."""
    correct: list[int] = []
    skill: list[str] = []
    student: list[str] = []
    item: list[str] = []
    row: list[int] = []
    wanted = set(skills) if skills is not None else None
    query = sa_select(
        col(ResponseLog.id),
        col(ResponseLog.student_id),
        col(ResponseLog.item_id),
        col(ResponseLog.correct),
        col(ResponseLog.skills),
    ).order_by(col(ResponseLog.id))
    for rid, sid, iid, ok, tagged in session.execute(query.execution_options(yield_per=5_000)):
        for s in tagged:
            if wanted is not None and s not in wanted:
                continue
            correct.append(int(bool(ok)))
            skill.append(s)
            student.append(str(sid))
            item.append(iid)
            row.append(int(rid))
    if not correct:
        return None
    return Responses.from_columns(correct, skill, student, item=item, row=row)
