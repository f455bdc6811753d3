"""Guardian accounts and links, managed by staff: a teacher for the students in their
classes, an admin for anyone. (Guardians read their children under /api/family.)"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import DbId, RuntimeDep, SessionDep, TeacherUser
from api.services import guardians, users
from models.guardians import GuardianCreate, GuardianLinkCreate, GuardianLinkPublic
from models.users import UserPublic

router = APIRouter(prefix="/api", tags=["guardians"])


@router.get("/guardian-links", response_model=list[GuardianLinkPublic])
def list_links(session: SessionDep, user: TeacherUser) -> list[GuardianLinkPublic]:
    """The links of the students you teach (admin: all), by student."""
    return guardians.staff_links(session, user)


@router.post(
    "/guardian-links",
    response_model=GuardianLinkPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": GuardianLinkPublic, "description": "the link already existed"}},
)
def create_link(
    data: GuardianLinkCreate, session: SessionDep, user: TeacherUser, response: Response
) -> GuardianLinkPublic:
    """Let a guardian account follow a student of yours; 200 if it already did."""
    link, created = guardians.staff_link(session, user, data.guardian_id, data.student_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return guardians.link_public(session, link)


@router.delete("/guardian-links/{guardian_id}/{student_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_link(
    guardian_id: DbId, student_id: DbId, session: SessionDep, user: TeacherUser
) -> None:
    guardians.staff_unlink(session, user, guardian_id, student_id)


@router.post("/guardians", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_guardian(
    data: GuardianCreate, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> UserPublic:
    """A new guardian account, linked to one of your students (both or neither)."""
    guardian, _link = guardians.create_guardian(session, runtime, user, data)
    return users.to_public(guardian)
