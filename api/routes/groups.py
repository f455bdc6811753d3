"""Small-group suggestions for a class (teachers of the class, admins)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbId, RuntimeDep, SessionDep, TeacherUser
from api.services import groups
from api.services.class_overview import class_overview
from models.class_reports import GroupSuggestions

router = APIRouter(prefix="/api/classes", tags=["groups"])


@router.get("/{class_id}/groups", response_model=GroupSuggestions)
def class_groups(
    class_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> GroupSuggestions:
    """Students held back by the same skill, with items to work through together; make
    one a goal with `POST /api/classes/{id}/goals` (`skills`, `student_ids`)."""
    return groups.class_groups(class_overview(session, runtime, user, class_id))
