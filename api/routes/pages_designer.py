"""Curriculum designer pages: item bank with statistics, item editor, import, graph, refit.

Every change goes through the services (`items`, `content_import`, `fits`, `params`),
which validate against the whole curriculum; these handlers only translate forms
and show the services' reports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import col, select

from api import paging
from api.deps import RuntimeDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.gate_view import gate_view
from api.pages.item_form import (
    DIFFICULTIES,
    FIELD_LABELS,
    GENERAL,
    ITEM_TYPES,
    NEW_ITEM_DEFAULTS,
    definition_from_form,
    errors_by_field,
    form_from_definition,
    problems_of,
)
from api.pages.session import CsrfChecked, DesignerPage
from api.pages.skill_map import designer_graph
from api.pages.templating import render
from api.services import content_import, fits, item_stats, items, params
from api.services.errors import Conflict, GateRefused, Invalid
from api.services.model_alerts import CONTRADICTED_FLAG, contradicted_skills
from models.content import Item, Skill, Unit
from models.fit_jobs import FitJobPublic, FitOptions, FitStatus
from models.params import ParamSet
from models.responses import ResponseLog

router = APIRouter(prefix="/designer", route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 40
FLAG_FILTERS = (
    "",
    "flagged",
    "never attempted",
    "guess > 0.5",
    "slip > 0.3",
    "mastery-lowering",
    CONTRADICTED_FLAG,
)
PARAM_NAMES = ("prior", "learn", "guess", "slip", "forget")


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _skill_names(session: Any) -> dict[str, str]:
    """The curriculum's skills in curriculum order (unit, then position), id -> name."""
    units = {
        u: i
        for i, u in enumerate(
            session.execute(
                select(Unit.id).where(col(Unit.retired).is_(False)).order_by(col(Unit.position))
            ).scalars()
        )
    }
    found = session.execute(
        select(Skill.id, Skill.name, Skill.unit_id, Skill.position).where(
            col(Skill.retired).is_(False)
        )
    ).all()
    found.sort(key=lambda s: (units.get(s.unit_id or "", len(units)), s.position, s.id))
    return {s.id: s.name for s in found}


def _with_flag(session: Any, query: Any, flag: str) -> Any:
    """Only the items with this quality flag. "never attempted" is a question for the
    log; the other flags come from statistics, which only answered items can have."""
    answered = select(ResponseLog.item_id).where(ResponseLog.item_id == Item.id).exists()
    if flag == "never attempted":
        return query.where(~answered)
    candidates = session.execute(query.where(answered).with_only_columns(Item.id)).scalars()
    hits = [
        i
        for i in candidates
        if (flags := item_stats.item_stats(session, i).flags)
        and (flag == "flagged" or flag in flags)
    ]
    if flag == "flagged":  # never attempted is a flag too
        return query.where(col(Item.id).in_(hits) | ~answered)
    return query.where(col(Item.id).in_(hits))


@router.get("", response_class=HTMLResponse)
def item_bank(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerPage,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    flag: Annotated[str | None, Query(max_length=40)] = None,
    retired: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    names = _skill_names(session)  # not the snapshot: a huge bank would rebuild it here
    skill = skill if skill in names else None
    flag = flag if flag in FLAG_FILTERS else None
    # One page read from the database, statistics for its rows only (api.paging).
    query = items.items_query(skill, include_retired=retired)
    if flag:
        query = _with_flag(session, query, flag)
    total = paging.count(session, query)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    listed = session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars()
    rows = [
        {"item": items.to_public(row), "stats": item_stats.item_stats(session, row.id)}
        for row in listed
    ]
    return render(
        request,
        "designer/items.html",
        {
            "title": "Item bank",
            "active": "items",
            "rows": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "skill": skill,
            "flag": flag or "",
            "retired": retired,
            "skills": list(names.items()),
            "skill_names": names,
            "flag_filters": FLAG_FILTERS,
            "type_names": dict(ITEM_TYPES),
            "saved": request.query_params.get("saved"),
        },
    )


def _editor(
    request: Request,
    runtime: Any,
    session: Any,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    item_id: str | None,
    retired: bool = False,
    stats: Any = None,
    status_code: int = 200,
) -> Response:
    snap = runtime.cache.recent(session)
    return render(
        request,
        "designer/item_form.html",
        {
            "title": f"Edit item {item_id}" if item_id else "New item",
            "active": "items",
            "values": values,
            "errors": errors,
            "general_error": errors.get(GENERAL),
            "item_id": item_id,
            "retired": retired,
            "item_types": ITEM_TYPES,
            "difficulties": DIFFICULTIES,
            "skills": [(s, snap.skill_names[s]) for s in snap.skills],
            "stats": stats,
            "field_labels": FIELD_LABELS,
        },
        status_code=status_code,
    )


@router.get("/items/new", response_class=HTMLResponse)
def new_item(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerPage,
    skill: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    values = dict(NEW_ITEM_DEFAULTS)
    if skill:
        values["skills"] = skill
    return _editor(request, runtime, session, values=values, errors={}, item_id=None)


@router.post("/items/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def create_item(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_create_item, request, session, runtime, form)


def _create_item(request: Request, session: Any, runtime: Any, form: dict[str, str]) -> Response:
    """Database work and validation (of the whole curriculum) run here, not on the loop."""
    definition = definition_from_form(form)
    try:
        created = items.create_item(session, definition)
    except (Invalid, Conflict) as exc:
        errors = errors_by_field(problems_of(exc.detail), definition["type"])
        return _editor(
            request, runtime, session, values=form, errors=errors, item_id=None, status_code=422
        )
    return RedirectResponse(f"/designer?saved={created.id}", status_code=303)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def edit_item(
    request: Request, item_id: str, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    row = items.get_item(session, item_id)
    return _editor(
        request,
        runtime,
        session,
        values=form_from_definition(row.definition),
        errors={},
        item_id=item_id,
        retired=row.retired,
        stats=item_stats.item_stats(session, item_id),
    )


@router.post("/items/{item_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def save_item(
    request: Request, item_id: str, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_save_item, request, item_id, session, runtime, form)


def _save_item(
    request: Request, item_id: str, session: Any, runtime: Any, form: dict[str, str]
) -> Response:
    row = items.get_item(session, item_id)
    action = form.get("action", "save")
    if action in ("retire", "restore"):
        items.set_retired(session, item_id, action == "retire")
        return RedirectResponse(f"/designer/items/{item_id}", status_code=303)
    definition = definition_from_form(form, item_id=item_id)
    try:
        items.update_item(session, item_id, definition)
    except (Invalid, Conflict) as exc:
        errors = errors_by_field(problems_of(exc.detail), definition["type"])
        values = {**form, "id": item_id}
        return _editor(
            request,
            runtime,
            session,
            values=values,
            errors=errors,
            item_id=item_id,
            retired=row.retired,
            status_code=422,
        )
    return RedirectResponse(f"/designer?saved={item_id}", status_code=303)


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: DesignerPage) -> Response:
    return render(request, "designer/import.html", {"title": "Import content", "active": "import"})


@router.post("/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def import_upload(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    form = await request.form()
    upload = form.get("file")
    kind_field = form.get("kind")
    kind = kind_field if kind_field in ("curriculum", "items") else None
    ctx: dict[str, Any] = {"title": "Import content", "active": "import"}
    if upload is None or isinstance(upload, str) or not upload.filename:
        ctx["problem"] = "Choose a curriculum (.yaml) or item bank (.csv) file first."
        return render(request, "designer/import.html", ctx, status_code=422)
    limit = runtime.settings.max_import_bytes
    raw = await upload.read(limit + 1)
    ctx["filename"] = upload.filename
    if len(raw) > limit:
        ctx["problem"] = f"{upload.filename} is larger than {_size(limit)}."
        return render(request, "designer/import.html", ctx, status_code=422)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ctx["problem"] = f"{upload.filename} is not UTF-8 text ({exc.reason} at byte {exc.start})."
        return render(request, "designer/import.html", ctx, status_code=422)
    try:  # checking a large file takes long: never on the event loop
        report = await run_in_threadpool(
            content_import.import_text,
            session,
            text,
            upload.filename,
            kind,  # type: ignore[arg-type]
        )
    except Invalid as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {"errors": problems_of(exc.detail)}
        ctx["report"] = detail
        ctx["failed"] = True
        return render(request, "designer/import.html", ctx, status_code=422)
    ctx["report"] = report
    ctx["failed"] = False
    return render(request, "designer/import.html", ctx)


@router.get("/graph", response_class=HTMLResponse)
def graph_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerPage,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    snap = runtime.cache.recent(session)
    view = designer_graph(session, snap, unit)
    return render(
        request,
        "designer/graph.html",
        {"title": "Prerequisite graph", "active": "graph", "graph": view},
    )


SETS_PAGE_SIZE = 20


def _param_sets(session: Any, page: int = 1) -> dict[str, Any]:
    """One page of the parameter sets, newest first, for the refit page."""
    query = select(ParamSet).order_by(col(ParamSet.id).desc())
    total = paging.count(session, query)
    pages = max(1, -(-total // SETS_PAGE_SIZE))
    page = min(page, pages)
    rows = session.execute(
        query.limit(SETS_PAGE_SIZE).offset((page - 1) * SETS_PAGE_SIZE)
    ).scalars()
    return {
        "param_sets": [params.to_public(p) for p in rows],
        "sets_total": total,
        "sets_page": page,
        "sets_pages": pages,
    }


@router.get("/fits", response_class=HTMLResponse)
def fits_page(
    request: Request,
    session: SessionDep,
    user: DesignerPage,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    return render(
        request,
        "designer/fits.html",
        {
            "title": "Refit parameters",
            "active": "fits",
            **_param_sets(session, page),
            "problem": request.query_params.get("problem"),
        },
    )


@router.post("/fits", dependencies=[CsrfChecked])
async def start_fit(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    form = await _form(request)
    try:
        restarts = int(form.get("restarts") or 3)
    except ValueError:
        restarts = 3
    options = FitOptions(
        forgets="forgets" in form,
        multigs="multigs" in form,
        restarts=max(1, min(20, restarts)),
    )
    try:  # a write: it may queue for the database, never on the event loop
        job = await run_in_threadpool(fits.create_fit_job, session, user, options)
    except Conflict as exc:
        return render(
            request,
            "designer/fits.html",
            {
                "title": "Refit parameters",
                "active": "fits",
                **_param_sets(session),
                "problem": str(exc.detail),
            },
            status_code=409,
        )
    assert job.id is not None
    runtime.jobs.submit_fit(job.id)
    return RedirectResponse(f"/designer/fits/{job.id}", status_code=303)


def _status_text(job: FitJobPublic) -> str:
    if job.status == FitStatus.queued:
        return "Waiting to start…"
    if job.status == FitStatus.running:
        if job.stale:
            return "The fit stopped reporting progress (the server may have restarted)."
        return f"Fitting: {job.done} of {job.total} steps" if job.total else "Fitting…"
    if job.status == FitStatus.succeeded:
        return f"Finished: fitted on {job.n_responses} responses."
    return f"Failed: {job.error or 'unknown error'}"


def _comparison(job: FitJobPublic) -> list[dict[str, Any]]:
    out = []
    for c in job.comparison:
        cells = []
        for name in PARAM_NAMES:
            before = (c.before or {}).get(name)
            after = (c.after or {}).get(name)
            delta = None if before is None or after is None else after - before
            cells.append({"name": name, "before": before, "after": after, "delta": delta})
        out.append({"skill": c.skill, "cells": cells})
    return out


@router.get("/fits/{job_id}", response_class=HTMLResponse)
def fit_page(
    request: Request,
    job_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerPage,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    job = fits.to_public(session, fits.get_fit_job(session, job_id))
    snap = runtime.cache.get(session)
    finished = job.status in (FitStatus.succeeded, FitStatus.failed) or job.stale
    return render(
        request,
        "designer/fit.html",
        {
            "title": f"Refit {job_id}",
            "active": "fits",
            "job": job,
            "finished": finished,
            "status_text": _status_text(job),
            "rows": _comparison(job),
            "param_names": PARAM_NAMES,
            "skill_names": snap.skill_names,
            "is_active": job.param_set_id is not None and job.param_set_id == snap.param_set_id,
            "activated": request.query_params.get("activated"),
            "gate": gate_view(job.gate, snap.skill_names),
            "contradicted": contradicted_skills(session),
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/fits/{job_id}/status")
def fit_status(job_id: int, session: SessionDep, user: DesignerPage) -> Response:
    """What the progress bar polls (same-origin, cookie session)."""
    job = fits.to_public(session, fits.get_fit_job(session, job_id))
    finished = job.status in (FitStatus.succeeded, FitStatus.failed) or job.stale
    return JSONResponse(
        {
            "status": job.status.value,
            "progress": job.progress,
            "finished": finished,
            "status_text": _status_text(job),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/fits/{job_id}/activate", dependencies=[CsrfChecked])
async def activate_fit(
    request: Request, job_id: int, session: SessionDep, runtime: RuntimeDep, user: DesignerPage
) -> Response:
    form = await request.form()
    raw_reason = form.get("override_reason")
    reason = raw_reason.strip() if isinstance(raw_reason, str) and raw_reason.strip() else None

    def work() -> int | str:
        job = fits.get_fit_job(session, job_id)
        if job.param_set_id is None:
            raise Conflict(f"Refit {job_id} has no parameters yet (status {job.status}).")
        if reason is not None and len(reason) < 10:
            return "Say why you override the gate in at least 10 characters."
        try:
            done = params.activate(
                session, runtime, job.param_set_id, user=user, override_reason=reason
            )
        except GateRefused:
            return "The gate refuses these parameters (see why below). Give a reason to override."
        return done.replay.students

    outcome = await run_in_threadpool(work)
    if isinstance(outcome, str):
        return fit_page(request, job_id, session, runtime, user, problem=outcome, status_code=409)
    return RedirectResponse(f"/designer/fits/{job_id}?activated={outcome}", status_code=303)
