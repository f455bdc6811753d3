"""The equity comparison of a class's subgroups (teachers of the class, admins)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbId, RuntimeDep, SessionDep, TeacherUser
from api.services import equity
from api.services.class_overview import class_overview
from models.class_reports import EquityReport

router = APIRouter(prefix="/api/classes", tags=["equity"])


@router.get("/{class_id}/equity", response_model=EquityReport)
def class_equity(
    class_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> EquityReport:
    """Subgroups by enrolment attribute on progress per week and time to goal; groups
    below the minimum size are suppressed."""
    return equity.equity_report(class_overview(session, runtime, user, class_id))
