"""Grade passback (LTI AGS): the score outbox, the score itself, and sending one.

The answer path only calls `queue_scores` inside its own transaction: one
INSERT ... SELECT that adds an outbox row for each graded link the student launched
(none for a student who never came through an LMS). The background sender
(`api.lti_sender`) turns due rows into scores: the share of the goal's skills the
student has mastered now (as their own pages show it), posted to the link's line
item only when it differs from what the platform last accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Connection, Integer, bindparam, insert, literal, select
from sqlmodel import Session

from api.services.lti_goals import resolve_goal
from api.services.lti_tokens import TOKENS, ServiceUnavailable
from api.services.mastery import load_state
from api.services.students import skill_rows
from models.lti import LtiGradeTarget, LtiLink, LtiPlatform, LtiScoreOutbox
from models.lti_messages import SCOPE_LINEITEM, SCOPE_SCORE
from models.types import UTCDateTime

if TYPE_CHECKING:
    from api.runtime import Runtime

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
_TARGET = LtiGradeTarget.__table__  # type: ignore[attr-defined]
_OUTBOX = LtiScoreOutbox.__table__  # type: ignore[attr-defined]

_QUEUE = insert(_OUTBOX).from_select(
    ["target_id", "response_id", "created_at", "next_attempt_at", "attempts"],
    select(
        _TARGET.c.id,
        bindparam("response_id", type_=Integer()),
        bindparam("now", type_=UTCDateTime()),
        bindparam("now", type_=UTCDateTime()),
        literal(0, type_=Integer()),
    ).where(_TARGET.c.user_id == bindparam("student_id")),
)


def queue_scores(db: Connection, student_id: int, response_id: int, now: datetime) -> None:
    """Queue a score for each graded link of the student (inside the answer's transaction)."""
    db.execute(_QUEUE, {"student_id": student_id, "response_id": response_id, "now": now})


@dataclass(frozen=True)
class Score:
    given: float
    maximum: float
    completed: bool


def score_of(session: Session, runtime: Runtime, link: LtiLink, student_id: int) -> Score:
    """How far the student is towards the link's goal: mastered skills / the goal's skills."""
    if not link.goal:
        return Score(0.0, 1.0, False)
    goal = resolve_goal(session, link.goal)
    snap = runtime.cache.recent(session)
    rows = {r.skill_id: r for r in skill_rows(snap, load_state(session, student_id), 0)}
    mastered = sum(1 for s in goal.skills if s in rows and rows[s].mastered)
    return Score(float(mastered), float(len(goal.skills)), mastered == len(goal.skills))


def scores_url(lineitem: str) -> str:
    base, sep, query = lineitem.partition("?")
    return base.rstrip("/") + "/scores" + (sep + query if sep else "")


def post_score(
    session: Session,
    client: httpx.Client,
    platform: LtiPlatform,
    lineitem: str,
    sub: str,
    score: Score,
    at: datetime,
) -> None:
    """POST the score to the line item; ServiceUnavailable saying why if not accepted."""
    token = TOKENS.token(session, client, platform, [SCOPE_SCORE, SCOPE_LINEITEM])
    body: dict[str, Any] = {
        "userId": sub,
        "scoreGiven": score.given,
        "scoreMaximum": score.maximum,
        "activityProgress": "Completed" if score.completed else "InProgress",
        "gradingProgress": "FullyGraded",
        "timestamp": at.isoformat(),
        "comment": f"{score.given:g} of {score.maximum:g} goal skills mastered",
    }
    url = scores_url(lineitem)
    try:
        reply = client.post(
            url,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE},
        )
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"score to {url}: {exc}") from None
    if reply.status_code in (401, 403):
        assert platform.id is not None
        TOKENS.forget(platform.id)
    if reply.status_code not in (200, 201, 202, 204):
        raise ServiceUnavailable(f"score to {url}: {reply.status_code} {reply.text[:200]}")
