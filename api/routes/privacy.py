"""A student's data (admins): export everything stored about them, purge them on request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api.deps import AdminUser, DbId, RuntimeDep, SessionDep
from api.services import privacy, roster_uploads
from models.audit import PurgeRequest, PurgeResult

router = APIRouter(prefix="/api/privacy", tags=["privacy"])


@router.get(
    "/students/{student_id}/export",
    response_model=dict[str, Any],
    responses={
        200: {"content": {"application/zip": {}}, "description": "JSON, or CSV files in a zip"}
    },
)
def export_student(
    student_id: DbId,
    session: SessionDep,
    admin: AdminUser,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Everything stored about the student (account without its password hash, answers,
    replies, mastery, state, enrolments, logins, roster ids and report entries).
    The export is recorded in the audit log (without naming the student)."""
    export = privacy.export_student(session, student_id)
    privacy.record_export(session, admin.id, format)
    name = f"student-{student_id}-export"
    if format == "csv":
        return Response(
            privacy.export_zip(export),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )
    return JSONResponse(
        export, headers={"Content-Disposition": f'attachment; filename="{name}.json"'}
    )


@router.post("/students/{student_id}/purge", response_model=PurgeResult)
def purge_student(
    student_id: DbId, data: PurgeRequest, session: SessionDep, runtime: RuntimeDep, admin: AdminUser
) -> PurgeResult:
    """Delete the student and everything stored about them, in one audited transaction.

    `confirm_username` must be the student's username; `reason` (at least 10
    characters, not naming the student) goes into the audit log. 422 otherwise."""
    result = privacy.purge_student(session, student_id, data, admin.id)
    roster_uploads.discard(runtime.settings.data_dir)  # dry runs waiting may name the student
    return result
