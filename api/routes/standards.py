"""The standards report of a class: mastery per standard code, JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import DbId, RuntimeDep, SessionDep, TeacherUser
from api.services import standards
from api.services.class_overview import class_overview
from models.class_reports import StandardsReport

router = APIRouter(prefix="/api/classes", tags=["standards"])


@router.get(
    "/{class_id}/standards",
    response_model=StandardsReport,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def class_standards(
    class_id: DbId,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherUser,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> StandardsReport | Response:
    """Per student and standard: mastered, in progress or not started; class totals."""
    report = standards.standards_report(session, class_overview(session, runtime, user, class_id))
    if format == "csv":
        return Response(
            content=standards.standards_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="class-{class_id}-standards.csv"'
            },
        )
    return report
