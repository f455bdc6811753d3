"""Students' mastery and history (the student themselves, their teachers, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, DbId, RuntimeDep, SessionDep, StudentUser
from api.services import students
from models.practice import StudentHistory, StudentMastery

router = APIRouter(prefix="/api/students", tags=["students"])


@router.get("/me/mastery", response_model=StudentMastery)
def my_mastery(session: SessionDep, runtime: RuntimeDep, student: StudentUser) -> StudentMastery:
    assert student.id is not None
    return students.student_mastery(session, runtime, student, student.id)


@router.get("/{student_id}/mastery", response_model=StudentMastery)
def student_mastery(
    student_id: DbId, session: SessionDep, runtime: RuntimeDep, user: CurrentUser
) -> StudentMastery:
    return students.student_mastery(session, runtime, user, student_id)


@router.get("/{student_id}/history", response_model=StudentHistory)
def student_history(
    student_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> StudentHistory:
    """Answers, newest first: the student, their class's teachers, or an admin."""
    return students.student_history(session, user, student_id, limit, offset)
