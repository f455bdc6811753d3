"""Students' mastery and history (the student themselves, their teachers, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentUser, DbId, RuntimeDep, SessionDep, StudentUser, TeacherUser
from api.services import auth, students
from api.services.access import visible_student
from models.practice import StudentHistory, StudentMastery
from models.security import LoginLock

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


@router.get("/{student_id}/login-lock", response_model=LoginLock)
def student_login_lock(
    student_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> LoginLock:
    """Whether too many failed logins have locked the student's account (their
    teachers, admins)."""
    student = visible_student(session, user, student_id)
    return auth.login_lock(session, runtime, student.username)


@router.delete("/{student_id}/login-lock", status_code=status.HTTP_204_NO_CONTENT)
def clear_student_login_lock(student_id: DbId, session: SessionDep, user: TeacherUser) -> Response:
    """Clear the student's failed logins, so they can log in again at once."""
    student = visible_student(session, user, student_id)
    auth.clear_login_lock(session, student.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
