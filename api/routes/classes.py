"""Classes and enrolments (teachers see their own; admins manage all)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from api import paging
from api.deps import AdminUser, CurrentUser, DbId, PageDep, RuntimeDep, SessionDep, TeacherUser
from api.services import classes, heatmap, users
from models.classes import (
    ClassroomCreate,
    ClassroomPublic,
    EnrolmentCreate,
    EnrolmentPublic,
)
from models.heatmap import Heatmap

router = APIRouter(prefix="/api/classes", tags=["classes"])


@router.get("", response_model=list[ClassroomPublic], responses=paging.PAGED_RESPONSES)
def list_classes(session: SessionDep, user: CurrentUser, page: PageDep) -> list[ClassroomPublic]:
    """Classes you teach (admin: all; student: the ones you are in), one page by name;
    the total is in `X-Total-Count`."""
    rows = page.rows(session, classes.classes_query(user))
    return classes.public_classes(session, rows)


@router.post("", response_model=ClassroomPublic, status_code=status.HTTP_201_CREATED)
def create_class(data: ClassroomCreate, session: SessionDep, admin: AdminUser) -> ClassroomPublic:
    created = classes.create_class(session, data.name)
    assert created.id is not None
    return classes.get_class(session, admin, created.id)


@router.get("/{class_id}", response_model=ClassroomPublic)
def get_class(class_id: DbId, session: SessionDep, user: CurrentUser) -> ClassroomPublic:
    return classes.get_class(session, user, class_id)


@router.get(
    "/{class_id}/students",
    response_model=list[EnrolmentPublic],
    responses=paging.PAGED_RESPONSES,
)
def class_students(
    class_id: DbId, session: SessionDep, user: CurrentUser, page: PageDep
) -> list[EnrolmentPublic]:
    """One page of the class's students by username; the total is in `X-Total-Count`."""
    total = classes.count_class_students(session, user, class_id)
    rows = classes.class_students(session, user, class_id, page.limit, page.offset)
    page.tell(total, len(rows))
    return rows


@router.post("/{class_id}/teachers/{teacher_id}", status_code=status.HTTP_204_NO_CONTENT)
def add_teacher(class_id: DbId, teacher_id: DbId, session: SessionDep, _admin: AdminUser) -> None:
    classes.add_teacher(session, class_id, users.get_user(session, teacher_id))


@router.post(
    "/{class_id}/students", response_model=EnrolmentPublic, status_code=status.HTTP_201_CREATED
)
def enrol_student(
    class_id: DbId, data: EnrolmentCreate, session: SessionDep, admin: AdminUser
) -> EnrolmentPublic:
    student = users.get_user(session, data.student_id)
    classes.enrol(session, class_id, student, data.attributes)
    return next(
        e for e in classes.class_students(session, admin, class_id) if e.student_id == student.id
    )


@router.get(
    "/{class_id}/heatmap",
    response_model=Heatmap,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def class_heatmap(
    class_id: DbId,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherUser,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    subgroup: Annotated[
        str | None,
        Query(max_length=100, description="'attr' to compare its values, 'attr:value' vs rest"),
    ] = None,
) -> Heatmap | Response:
    """Students x skills: mastery, attempts and a stuck flag (see `stuck_definition`)."""
    result = heatmap.class_heatmap(session, runtime, user, class_id, subgroup)
    if format == "csv":
        tag = "".join(ch if ch.isalnum() else "-" for ch in subgroup) if subgroup else ""
        name = f"class-{class_id}-heatmap" + (f"-by-{tag}" if tag else "")
        return Response(
            content=heatmap.heatmap_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return result
