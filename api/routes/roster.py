"""OneRoster imports (admins): upload a roster zip, try it (dry run) or apply it; reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from api import paging
from api.deps import AdminUser, DbId, PageDep, RuntimeDep, SessionDep
from api.services import roster_import
from api.services.errors import Invalid
from api.services.roster_files import from_zip
from models.roster import RosterImportPublic

router = APIRouter(prefix="/api/roster", tags=["roster"])


@router.post(
    "/imports",
    response_model=RosterImportPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": RosterImportPublic, "description": "The dry run's report"}},
)
async def import_roster(
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminUser,
    response: Response,
    file: Annotated[UploadFile, File(description="OneRoster 1.1 CSV files in a .zip")],
    dry_run: Annotated[bool, Query(description="Report what would change; change nothing")] = False,
) -> RosterImportPublic:
    """Import the roster (201), or with `dry_run` report what it would change (200).

    All-or-nothing: a roster with any problem changes nothing and is answered 422 with
    every problem located by file, row and column (the refused run is stored too)."""
    limit = runtime.settings.max_import_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise Invalid(f"file: larger than {limit} bytes (PATHWAYS_MAX_IMPORT_BYTES)")
    source = file.filename or "roster.zip"
    files = from_zip(raw, limit, source)
    run = await run_in_threadpool(
        roster_import.run_import, session, files, source, dry_run=dry_run, actor_id=admin.id
    )
    public = roster_import.to_public(run)
    if run.outcome == "refused":
        raise Invalid(
            {
                "errors": [{"location": "", "message": p["text"]} for p in public.problems],
                "import_id": public.id,
            }
        )
    if run.outcome == "dry_run":
        response.status_code = status.HTTP_200_OK
    return public


@router.get("/imports", response_model=list[RosterImportPublic], responses=paging.PAGED_RESPONSES)
def list_imports(session: SessionDep, _admin: AdminUser, page: PageDep) -> list[RosterImportPublic]:
    """Import runs, newest first; the total is in `X-Total-Count`."""
    rows = page.rows(session, roster_import.imports_query())
    return [roster_import.to_public(r) for r in rows]


@router.get("/imports/{import_id}", response_model=RosterImportPublic)
def get_import(import_id: DbId, session: SessionDep, _admin: AdminUser) -> RosterImportPublic:
    return roster_import.to_public(roster_import.get_import(session, import_id))
