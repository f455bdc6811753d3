"""The teacher's "update the class list from the LMS" button (Names and Role Provisioning).

A class made by an LMS launch can be brought in line with the course's membership list
without leaving the class page. The sync runs in a worker thread (it waits on the
LMS); the page then says what changed, or that the LMS did not answer and nothing did.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import DbId, SessionDep
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked, TeacherPage
from api.services import classes, lti_roster
from api.services.lti_tokens import ServiceUnavailable
from models.users import User

router = APIRouter(prefix="/teacher", route_class=PageRoute, include_in_schema=False)
log = logging.getLogger(__name__)
TIMEOUT_S = 15.0


def _sync(session: Session, user: User, class_id: int) -> str:
    classes.get_class(session, user, class_id)  # 404 unless the caller teaches it (or admin)
    try:
        with httpx.Client(timeout=TIMEOUT_S) as client:
            done = lti_roster.sync_roster(session, class_id, client)
    except ServiceUnavailable as exc:
        log.warning("roster sync of class %s failed: %s", class_id, exc.detail)
        return "roster=unreachable"
    return (
        f"roster=synced&added={done.added_students}&removed={done.removed_students}"
        f"&teachers={done.added_teachers}"
    )


@router.post("/classes/{class_id}/roster-sync", dependencies=[CsrfChecked])
async def sync_class_roster(class_id: DbId, session: SessionDep, user: TeacherPage) -> Response:
    outcome = await run_in_threadpool(_sync, session, user, class_id)
    return RedirectResponse(f"/teacher/classes/{class_id}?{outcome}", status_code=303)


def roster_flash(
    roster: str | None, added: int, removed: int, teachers: int
) -> list[dict[str, str]]:
    """The notice the class page shows after a sync (from the redirect's query)."""
    if roster == "synced":
        return [{"kind": "success", "text": (
            f"Class list updated from the LMS: {added} student(s) added, {removed} removed, "
            f"{teachers} teacher(s) added."
        )}]  # fmt: skip
    if roster == "unreachable":
        return [{"kind": "error", "text": (
            "The LMS did not answer the class-list request, so nothing was changed. "
            "Try again later; if it keeps failing, ask whoever runs Pathways to check "
            "the LMS registration."
        )}]  # fmt: skip
    return []
