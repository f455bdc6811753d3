"""What a guardian reads: their linked children and each one's summary (read-only)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbId, GuardianUser, RuntimeDep, SessionDep
from api.services import family
from models.family import ChildPublic, ChildSummary

router = APIRouter(prefix="/api/family", tags=["family"])


@router.get("/children", response_model=list[ChildPublic])
def my_children(session: SessionDep, guardian: GuardianUser) -> list[ChildPublic]:
    """The students linked to you (admins follow nobody: an empty list)."""
    return family.my_children(session, guardian)


@router.get("/children/{student_id}", response_model=ChildSummary)
def child_summary(
    student_id: DbId, session: SessionDep, runtime: RuntimeDep, guardian: GuardianUser
) -> ChildSummary:
    """One linked child's standards, goal and recent practice; 404 for anyone else."""
    return family.child_summary(session, runtime, guardian, student_id)
