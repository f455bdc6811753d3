"""The admin console: schools and classes, users and enrolments, password resets,
roster imports with their reports, a student's export and purge, the audit log.

Handlers translate forms and call the services (`roster_import`, `privacy`,
`admin_accounts`); database work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from api import paging
from api.deps import RuntimeDep, SessionDep
from api.pages.admin import AdminPage
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked
from api.pages.templating import render
from api.runtime import Runtime
from api.services import admin_accounts, audit, privacy, roster_import, roster_uploads, users
from api.services.errors import Invalid, NotFound
from api.services.roster_files import from_zip
from models.audit import AuditAction, AuditEvent, PurgeRequest
from models.classes import Classroom, ClassTeacher, Enrolment
from models.roster import RosterClass, RosterUser, School
from models.users import Role, User

router = APIRouter(prefix="/admin", route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
PASSWORD_MIN = 8


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _pages(total: int, page: int) -> tuple[int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    return pages, min(page, pages)


# -- schools and classes -------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, user: AdminPage) -> Response:
    schools = {s.id: s for s in session.exec(select(School))}
    links = {r.class_id: r for r in session.exec(select(RosterClass))}
    students = dict(
        session.exec(
            select(Enrolment.class_id, func.count()).group_by(col(Enrolment.class_id))
        ).all()
    )
    teachers: dict[int, list[str]] = {}
    for class_id, name in session.exec(
        select(ClassTeacher.class_id, User.username).join(
            User,
            User.id == ClassTeacher.teacher_id,  # type: ignore[arg-type]
        )
    ):
        teachers.setdefault(class_id, []).append(name)
    rows = []
    for c in session.exec(select(Classroom).order_by(col(Classroom.name))):
        link = links.get(c.id or 0)
        school = schools.get(link.school_id) if link and link.school_id else None
        rows.append(
            {
                "id": c.id,
                "name": c.name,
                "school": school.name if school else "",
                "sourced_id": link.sourced_id if link else None,
                "teachers": sorted(teachers.get(c.id or 0, [])),
                "students": int(students.get(c.id or 0, 0)),
            }
        )
    return render(
        request,
        "admin/overview.html",
        {
            "title": "Schools and classes",
            "active": "admin",
            "admin_active": "overview",
            "schools": sorted(schools.values(), key=lambda s: s.name),
            "classes": rows,
        },
    )


# -- users and enrolments ------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def user_list(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    role: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    chosen = Role(role) if role in Role.__members__ else None
    query = users.users_query(chosen)
    if q.strip():
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(col(User.username).ilike(pattern), col(User.full_name).ilike(pattern))
        )
    total = paging.count(session, query)
    pages, page = _pages(total, page)
    found = list(session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars())
    return render(
        request,
        "admin/users.html",
        {
            "title": "Users and enrolments",
            "active": "admin",
            "admin_active": "users",
            "users": found,
            "roles": [r.value for r in Role],
            "role": chosen.value if chosen else "",
            "q": q,
            "page": page,
            "pages": pages,
            "total": total,
        },
    )


def _account(session: Session, user_id: int) -> dict[str, Any]:
    account = users.get_user(session, user_id)
    enrolled = session.exec(
        select(Classroom, Enrolment)
        .join(Enrolment, Enrolment.class_id == Classroom.id)  # type: ignore[arg-type]
        .where(Enrolment.student_id == user_id)
        .order_by(col(Classroom.name))
    ).all()
    taught = session.exec(
        select(Classroom)
        .join(ClassTeacher, ClassTeacher.class_id == Classroom.id)  # type: ignore[arg-type]
        .where(ClassTeacher.teacher_id == user_id)
        .order_by(col(Classroom.name))
    ).all()
    sourced = session.exec(
        select(RosterUser.sourced_id).where(RosterUser.user_id == user_id)
    ).first()
    return {
        "account": account,
        "enrolled": [(c, dict(e.attributes or {})) for c, e in enrolled],
        "taught": list(taught),
        "sourced_id": sourced,
        "is_student": account.role == Role.student,
    }


def _user_page(
    request: Request,
    session: Session,
    user_id: int,
    *,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = _account(session, user_id)
    name = ctx["account"].full_name or ctx["account"].username
    ctx |= {
        "title": f"Account: {name}",
        "active": "admin",
        "admin_active": "users",
        "errors": errors or {},
        "saved": saved,
        "password_min": PASSWORD_MIN,
    }
    return render(request, "admin/user.html", ctx, status_code=status_code)


SAVED = {
    "password": "The new password is set. Every session of this account has ended.",
    "active": "This account can log in again.",
    "inactive": "This account is deactivated: it cannot log in.",
}


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request,
    user_id: int,
    session: SessionDep,
    user: AdminPage,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _user_page(request, session, user_id, saved=SAVED.get(saved or ""))


@router.post("/users/{user_id}/password", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def reset_password(
    request: Request, user_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_reset_password, request, user_id, session, runtime, user, form)


def _reset_password(
    request: Request,
    user_id: int,
    session: Session,
    runtime: Runtime,
    admin: User,
    form: dict[str, str],
) -> Response:
    password = form.get("password", "")
    if len(password) < PASSWORD_MIN or not password.strip():
        errors = {"password": f"Enter a password of at least {PASSWORD_MIN} characters."}
        return _user_page(request, session, user_id, errors=errors, status_code=422)
    if "\x00" in password or len(password) > 200:
        errors = {"password": "Enter a password of at most 200 characters."}
        return _user_page(request, session, user_id, errors=errors, status_code=422)
    admin_accounts.reset_password(session, runtime, user_id, password, admin.id)
    return RedirectResponse(f"/admin/users/{user_id}?saved=password", status_code=303)


@router.post("/users/{user_id}/active", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def set_active(
    request: Request, user_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    form = await _form(request)
    active = form.get("active") == "true"
    if user_id == user.id and not active:
        return _user_page(
            request,
            session,
            user_id,
            errors={"active": "You cannot deactivate your own account."},
            status_code=422,
        )
    await run_in_threadpool(admin_accounts.set_active, session, runtime, user_id, active, user.id)
    return RedirectResponse(
        f"/admin/users/{user_id}?saved={'active' if active else 'inactive'}", status_code=303
    )


# -- a student's data: export and purge ----------------------------------------------


@router.get("/users/{user_id}/export.json")
def export_json(user_id: int, session: SessionDep, user: AdminPage) -> Response:
    export = privacy.export_student(session, user_id)
    privacy.record_export(session, user.id, "json")
    return JSONResponse(
        export,
        headers={"Content-Disposition": f'attachment; filename="student-{user_id}-export.json"'},
    )


@router.get("/users/{user_id}/export.zip")
def export_csv(user_id: int, session: SessionDep, user: AdminPage) -> Response:
    export = privacy.export_student(session, user_id)
    privacy.record_export(session, user.id, "csv")
    return Response(
        privacy.export_zip(export),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="student-{user_id}-export.zip"'},
    )


def _purge_page(
    request: Request,
    session: Session,
    user_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = _account(session, user_id)
    if not ctx["is_student"]:
        raise NotFound(f"no student {user_id}")
    ctx |= {
        "title": "Purge a student",
        "active": "admin",
        "admin_active": "users",
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "admin/purge.html", ctx, status_code=status_code)


@router.get("/users/{user_id}/purge", response_class=HTMLResponse)
def purge_form(request: Request, user_id: int, session: SessionDep, user: AdminPage) -> Response:
    return _purge_page(request, session, user_id)


@router.post("/users/{user_id}/purge", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def purge(
    request: Request, user_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_purge, request, user_id, session, runtime, user, form)


def _purge(
    request: Request,
    user_id: int,
    session: Session,
    runtime: Runtime,
    admin: User,
    form: dict[str, str],
) -> Response:
    values = {k: form.get(k, "") for k in ("confirm_username", "reason")}
    errors: dict[str, str] = {}
    if not values["confirm_username"]:
        errors["confirm_username"] = "Type the student's username to confirm."
    if len(values["reason"].strip()) < 10:
        errors["reason"] = "Say why in at least 10 characters."
    if not errors:
        try:
            request_ = PurgeRequest(**values)
            result = privacy.purge_student(session, user_id, request_, admin.id)
        except Invalid as exc:
            errors = {e["location"]: e["message"].capitalize() + "." for e in exc.detail["errors"]}
        except ValueError as exc:  # pydantic: over-long or NUL characters
            errors = {"reason": str(exc).splitlines()[0]}
    if errors:
        return _purge_page(request, session, user_id, values=values, errors=errors, status_code=422)
    roster_uploads.discard(runtime.settings.data_dir)  # pending dry runs may name the student
    return RedirectResponse(f"/admin/audit?purged={result.audit_id}", status_code=303)


# -- roster imports ------------------------------------------------------------------


def _roster_page(
    request: Request,
    session: Session,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    runs = roster_import.list_imports(session, limit=30)
    return render(
        request,
        "admin/roster.html",
        {
            "title": "Roster imports",
            "active": "admin",
            "admin_active": "roster",
            "runs": runs,
            "problem": problem,
            "summary_line": roster_import.summary_line,
        },
        status_code=status_code,
    )


@router.get("/roster", response_class=HTMLResponse)
def roster_page(request: Request, session: SessionDep, user: AdminPage) -> Response:
    return _roster_page(request, session)


@router.post("/roster", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def roster_upload(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    """Every upload is tried first (a dry run); its report page offers to apply it."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await run_in_threadpool(
            _roster_page,
            request,
            session,
            problem="Choose a OneRoster .zip file first.",
            status_code=422,
        )
    limit = runtime.settings.max_import_bytes
    raw = await upload.read(limit + 1)
    source = upload.filename
    if len(raw) > limit:
        return await run_in_threadpool(
            _roster_page,
            request,
            session,
            problem=f"{source} is larger than {limit} bytes.",
            status_code=422,
        )
    return await run_in_threadpool(_try_roster, request, session, runtime, user, raw, source)


def _try_roster(
    request: Request, session: Session, runtime: Runtime, admin: User, raw: bytes, source: str
) -> Response:
    try:
        files = from_zip(raw, runtime.settings.max_import_bytes, source)
    except Invalid as exc:
        return _roster_page(request, session, problem=str(exc.detail), status_code=422)
    run = roster_import.run_import(session, files, source, dry_run=True, actor_id=admin.id)
    assert run.id is not None
    if run.outcome == "dry_run":
        roster_uploads.keep(runtime.settings.data_dir, run.id, raw)
    return RedirectResponse(f"/admin/roster/{run.id}", status_code=303)


@router.get("/roster/{import_id}", response_class=HTMLResponse)
def roster_report(
    request: Request, import_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    run = roster_import.get_import(session, import_id)
    pending = (
        run.outcome == "dry_run"
        and roster_uploads.load(runtime.settings.data_dir, import_id) is not None
    )
    return render(
        request,
        "admin/roster_report.html",
        {
            "title": f"Roster import {import_id}",
            "active": "admin",
            "admin_active": "roster",
            "run": roster_import.to_public(run),
            "line": roster_import.summary_line(run),
            "pending": pending,
        },
        status_code=422 if run.outcome == "refused" else 200,
    )


@router.post("/roster/{import_id}/apply", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def roster_apply(
    request: Request, import_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminPage
) -> Response:
    return await run_in_threadpool(_apply_roster, request, import_id, session, runtime, user)


def _apply_roster(
    request: Request, import_id: int, session: Session, runtime: Runtime, admin: User
) -> Response:
    tried = roster_import.get_import(session, import_id)
    raw = roster_uploads.load(runtime.settings.data_dir, import_id)
    if tried.outcome != "dry_run" or raw is None:
        return _roster_page(
            request,
            session,
            problem=f"Roster import {import_id} has no upload waiting to be applied: upload it again.",  # noqa: E501
            status_code=409,
        )
    files = from_zip(raw, runtime.settings.max_import_bytes, tried.source)
    run = roster_import.run_import(session, files, tried.source, actor_id=admin.id)
    roster_uploads.discard(runtime.settings.data_dir, import_id)
    return RedirectResponse(f"/admin/roster/{run.id}", status_code=303)


# -- the audit log -------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    action: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    purged: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    chosen = AuditAction(action) if action in AuditAction.__members__ else None
    query = audit.events_query(chosen)
    total = paging.count(session, query)
    pages, page = _pages(total, page)
    events = list(session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars())
    actors = {
        u.id: u.username
        for u in session.exec(
            select(User).where(col(User.id).in_({e.actor_id for e in events if e.actor_id}))
        )
    }
    return render(
        request,
        "admin/audit.html",
        {
            "title": "Audit log",
            "active": "admin",
            "admin_active": "audit",
            "events": events,
            "actors": actors,
            "actions": [a.value for a in AuditAction],
            "action": chosen.value if chosen else "",
            "page": page,
            "pages": pages,
            "total": total,
            "purged": purged if purged and session.get(AuditEvent, purged) else None,
        },
    )
