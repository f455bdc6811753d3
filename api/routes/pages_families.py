"""The teacher's families page: who follows which of my students, and making links.

A teacher links an existing guardian account (by username) or creates one with its
first link, for students in their own classes only; the services check that
(`guardians.staff_link`, `guardians.create_guardian`) exactly as for the API.
Errors come back on the same page, next to the form that caused them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import RuntimeDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked, TeacherPage
from api.pages.templating import render
from api.services import classes, guardians, users
from api.services.errors import ServiceError
from models.guardians import GuardianCreate
from models.users import Role, User

router = APIRouter(prefix="/teacher/families", route_class=PageRoute, include_in_schema=False)

ROSTER_LIMIT = 500
Text = Annotated[str, Form(max_length=200)]
Choice = Annotated[int, Form(ge=1, le=2_147_483_647)]


def _my_students(session: Any, user: User) -> list[dict[str, Any]]:
    """Every student in the teacher's classes, once, by name (the form's choices)."""
    seen: dict[int, dict[str, Any]] = {}
    for c in classes.list_classes(session, user):
        for e in classes.class_students(session, user, c.id, ROSTER_LIMIT, 0):
            seen.setdefault(e.student_id, {"id": e.student_id, "name": e.full_name or e.username})
    return sorted(seen.values(), key=lambda s: (s["name"].lower(), s["id"]))


def _page(
    request: Request,
    session: Any,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    echo: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    flashes = [{"kind": "success", "text": done}] if done else []
    return render(
        request,
        "teacher/families.html",
        {
            "title": "Families",
            "active": "families",
            "links": guardians.staff_links(session, user),
            "students": _my_students(session, user),
            "errors": errors or {},
            "echo": echo or {},
            "flashes": flashes,
        },
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def families(
    request: Request, session: SessionDep, user: TeacherPage, done: str | None = None
) -> Response:
    messages = {
        "linked": "Linked.",
        "created": "Account created and linked.",
        "removed": "Removed.",
    }
    return _page(request, session, user, done=messages.get(done or ""))


@router.post("/link", response_class=HTMLResponse, dependencies=[CsrfChecked])
def link(
    request: Request,
    session: SessionDep,
    user: TeacherPage,
    guardian_username: Text,
    student_id: Choice,
) -> Response:
    echo = {"guardian_username": guardian_username, "student_id": str(student_id)}
    found = users.find_user(session, guardian_username.strip())
    if found is None or found.role != Role.guardian or found.id is None:
        error = f"There is no guardian account named {guardian_username.strip()!r}."
        return _page(request, session, user, status_code=422,
                     errors={"guardian_username": error}, echo=echo)  # fmt: skip
    try:
        guardians.staff_link(session, user, found.id, student_id)
    except ServiceError as exc:
        return _page(request, session, user, status_code=exc.status_code,
                     errors={"student_id": str(exc.detail)}, echo=echo)  # fmt: skip
    return RedirectResponse("/teacher/families?done=linked", status_code=303)


@router.post("/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def new_guardian(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    username: Text,
    password: Text,
    student_id: Choice,
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    echo = {"username": username, "full_name": full_name, "new_student_id": str(student_id)}
    try:
        data = GuardianCreate(
            username=username.strip(), full_name=full_name.strip(), password=password,
            student_id=student_id,
        )  # fmt: skip
    except ValidationError as exc:
        errors = {f"new-{e['loc'][0]}": f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()}
        return _page(request, session, user, status_code=422, errors=errors, echo=echo)
    try:
        guardians.create_guardian(session, runtime, user, data)
    except ServiceError as exc:
        return _page(request, session, user, status_code=exc.status_code,
                     errors={"new-username": str(exc.detail)}, echo=echo)  # fmt: skip
    return RedirectResponse("/teacher/families?done=created", status_code=303)


@router.post("/unlink", response_class=HTMLResponse, dependencies=[CsrfChecked])
def unlink(
    request: Request,
    session: SessionDep,
    user: TeacherPage,
    guardian_id: Choice,
    student_id: Choice,
) -> Response:
    guardians.staff_unlink(session, user, guardian_id, student_id)
    return RedirectResponse("/teacher/families?done=removed", status_code=303)
