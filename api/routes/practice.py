"""The student's practice loop: next item, submit an answer.

These two routes are the service's hot path (every answer of every student), so each
does its whole work in ONE worker-thread hop: the token is checked on the event loop
(`ClaimsDep`), the user row and role inside the hop (`student_from`, the same checks
as `StudentUser`), and the reply is serialised once by pydantic and sent as is
(`response_model` still documents it).
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection
from sqlmodel import Session

from api.deps import ClaimsDep, RuntimeDep, SessionDep, student_from
from api.runtime import Runtime
from api.security import TokenClaims
from api.services import answers, practice
from models.practice import AnswerResult, AnswerSubmit, NextItems

router = APIRouter(prefix="/api/practice", tags=["practice"])


def _json(model: NextItems | AnswerResult) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _next(session: Session, runtime: Runtime, claims: TokenClaims, goal: str | None) -> Response:
    return _json(practice.next_items(session, runtime, student_from(session, claims), goal))


def _answer(
    session: Session, runtime: Runtime, claims: TokenClaims, body: AnswerSubmit
) -> Response:
    def check_account(db: Connection) -> int:
        return student_from(db, claims)

    return _json(answers.submit_answer(session, runtime, claims.user_id, body, check_account))


@router.get("/next", response_model=NextItems)
async def next_item(
    session: SessionDep,
    runtime: RuntimeDep,
    claims: ClaimsDep,
    goal: Annotated[
        str | None, Query(max_length=100, description="Skill id to work towards")
    ] = None,
) -> Response:
    """The recommended item and two alternatives, each with a reason (no answer keys)."""
    return await to_thread.run_sync(
        _next, session, runtime, claims, goal, limiter=runtime.practice_limiter
    )


@router.post("/answers", response_model=AnswerResult)
async def submit_answer(
    body: AnswerSubmit, session: SessionDep, runtime: RuntimeDep, claims: ClaimsDep
) -> Response:
    """Check and record an answer; updates every skill the item is tagged with.

    Send a fresh `idempotency_key` per answer and reuse it on retries: a repeated key
    records nothing new and returns the first reply. An unreadable answer (e.g. letters
    for a number) is not recorded: `recorded` is false and `error` says what to fix.
    """
    return await to_thread.run_sync(
        _answer, session, runtime, claims, body, limiter=runtime.practice_limiter
    )
