"""Teacher pages for acting on the heatmap: the class plan (goals with dates, pace flags,
small groups, the equity panel) and the printable standards report (+ CSV).

The numbers all come from one `class_overview` per request and the services built on
it (`pace`, `groups`, `equity`, `standards`); setting a goal goes through
`goals.create_goal`, the same as `POST /api/classes/{id}/goals`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import DbId, RuntimeDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked, TeacherPage
from api.pages.skill_map import units_for
from api.pages.templating import render
from api.runtime import Runtime
from api.services import equity, goals, groups, school_time, standards
from api.services.class_overview import class_overview
from api.services.errors import Invalid
from models.goals import GoalCreate
from models.users import User

router = APIRouter(prefix="/teacher", route_class=PageRoute, include_in_schema=False)

DEFAULT_WEEKS = 2


def _today(runtime: Runtime) -> date:
    return school_time.today(runtime.settings.zone)


def plan_context(
    session: Session,
    runtime: Runtime,
    user: User,
    class_id: int,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    overview = class_overview(session, runtime, user, class_id)
    today = overview.today
    flags = {"behind": 0, "at risk": 1, "on track": 2}
    paced = sorted(
        (s for s in overview.students if s.pace is not None),
        key=lambda s: (flags.get(s.pace.flag if s.pace else "", 3), s.name),
    )
    return {
        "title": f"{overview.classroom.name}: class plan",
        "active": "classes",
        "classroom": overview.classroom,
        "goals": goals.class_goals(session, user, class_id),
        "paced": paced,
        "no_goal": [s for s in overview.students if s.pace is None],
        "groups": groups.class_groups(overview),
        "equity": equity.equity_report(overview),
        "units": units_for(session, overview.snap),
        "skills": [(s, overview.snap.skill_names.get(s, s)) for s in overview.snap.skills],
        "students": [(s.enrolment.student_id, s.name) for s in overview.students],
        "today": today.isoformat(),
        "default_date": (today + timedelta(weeks=DEFAULT_WEEKS)).isoformat(),
        "form": form or {},
        "errors": errors or {},
        "skill_names": overview.snap.skill_names,
    }


@router.get("/classes/{class_id}/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    class_id: DbId,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    made: int | None = None,
) -> Response:
    ctx = plan_context(session, runtime, user, class_id)
    if made is not None:
        made_goal = next((g for g in ctx["goals"] if g.id == made), None)
        if made_goal is not None:
            ctx["flashes"] = [
                {
                    "kind": "success",
                    "text": f"Goal set: {made_goal.title}, by {made_goal.target_date:%d %b %Y}.",
                }
            ]
    return render(request, "teacher/plan.html", ctx)


def _goal_form(form: Any) -> tuple[dict[str, Any], GoalCreate | None, dict[str, str]]:
    """The goal form as entered (to show again) and as a GoalCreate, or the errors."""
    entered: dict[str, Any] = {
        "title": str(form.get("title") or ""),
        "what": str(form.get("what") or "unit"),
        "unit_id": str(form.get("unit_id") or ""),
        "skills": [str(s) for s in form.getlist("skills")],
        "target_date": str(form.get("target_date") or ""),
        "who": str(form.get("who") or "class"),
        "student_ids": [str(s) for s in form.getlist("student_ids")],
    }
    errors: dict[str, str] = {}
    try:
        target = date.fromisoformat(entered["target_date"])
    except ValueError:
        errors["target_date"] = "Enter the target date as a date, e.g. 2026-05-29."
        target = None
    ids: list[int] | None = None
    if entered["who"] == "chosen":
        try:
            ids = [int(s) for s in entered["student_ids"]]
        except ValueError:
            errors["student_ids"] = "Choose students from the list."
        if not ids and "student_ids" not in errors:
            errors["student_ids"] = (
                "Choose at least one student, or set the goal for the whole class."
            )
    if entered["what"] == "unit" and not entered["unit_id"]:
        errors["unit_id"] = "Choose a unit."
    if entered["what"] == "skills" and not entered["skills"]:
        errors["skills"] = "Choose at least one skill."
    if errors or target is None:
        return entered, None, errors
    try:
        data = GoalCreate(
            title=entered["title"],
            unit_id=entered["unit_id"] if entered["what"] == "unit" else None,
            skills=entered["skills"] if entered["what"] == "skills" else [],
            target_date=target,
            student_ids=ids,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "title"
        return entered, None, {field: str(first["msg"]).removeprefix("Value error, ")}
    return entered, data, {}


@router.post("/classes/{class_id}/goals", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def set_goal(
    request: Request, class_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherPage
) -> Response:
    """Set a goal from the plan page's form or from a small-group suggestion."""
    entered, data, errors = _goal_form(await request.form())

    def store() -> int | dict[str, str]:
        if data is None:
            return errors
        try:
            catalog = runtime.cache.recent(session)
            made = goals.create_goal(session, catalog, user, class_id, data, _today(runtime))
        except Invalid as exc:
            field, _, message = str(exc.detail).partition(": ")
            return {field if field in entered else "title": message or str(exc.detail)}
        return made.id

    result = await run_in_threadpool(store)
    if isinstance(result, int):
        return RedirectResponse(f"/teacher/classes/{class_id}/plan?made={result}", status_code=303)
    ctx = await run_in_threadpool(plan_context, session, runtime, user, class_id, entered, result)
    return render(request, "teacher/plan.html", ctx, status_code=422)


@router.get("/classes/{class_id}/standards", response_class=HTMLResponse)
def standards_page(
    request: Request, class_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherPage
) -> Response:
    report = standards.standards_report(session, class_overview(session, runtime, user, class_id))
    return render(
        request,
        "teacher/standards.html",
        {
            "title": f"{report.class_name}: standards report",
            "active": "classes",
            "report": report,
            "summary_rows": list(zip(report.summary, report.standards, strict=True)),
        },
    )


@router.get("/classes/{class_id}/standards.csv")
def standards_csv(
    class_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherPage
) -> Response:
    report = standards.standards_report(session, class_overview(session, runtime, user, class_id))
    safe = "".join(ch if ch.isalnum() else "-" for ch in report.class_name).strip("-") or "class"
    return Response(
        content=standards.standards_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}-standards.csv"'},
    )
