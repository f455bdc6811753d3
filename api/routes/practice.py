"""The student's practice loop: next item, submit an answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import RuntimeDep, SessionDep, StudentUser
from api.services import practice
from models.practice import AnswerResult, AnswerSubmit, NextItems

router = APIRouter(prefix="/api/practice", tags=["practice"])


@router.get("/next", response_model=NextItems)
def next_item(
    session: SessionDep,
    runtime: RuntimeDep,
    student: StudentUser,
    goal: Annotated[
        str | None, Query(max_length=100, description="Skill id to work towards")
    ] = None,
) -> NextItems:
    """The recommended item and two alternatives, each with a reason (no answer keys)."""
    assert student.id is not None
    return practice.next_items(session, runtime, student.id, goal)


@router.post("/answers", response_model=AnswerResult)
def submit_answer(
    body: AnswerSubmit, session: SessionDep, runtime: RuntimeDep, student: StudentUser
) -> AnswerResult:
    """Check and record an answer; updates every skill the item is tagged with.

    Send a fresh `idempotency_key` per answer and reuse it on retries: a repeated key
    records nothing new and returns the first reply. An unreadable answer (e.g. letters
    for a number) is not recorded: `recorded` is false and `error` says what to fix.
    """
    assert student.id is not None
    return practice.submit_answer(session, runtime, student.id, body)
