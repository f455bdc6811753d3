"""Family pages: a guardian's children, each summarised in plain words (read-only).

Every number comes from `services.family`, which reaches a child only through the
guardian's own links; this module picks the words. Shown in the guardian's language
(their setting, else the browser's).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbId, RuntimeDep, SessionDep
from api.i18n.markers import N_
from api.pages.errors import PageRoute
from api.pages.session import GuardianPage
from api.pages.templating import render
from api.services import family

router = APIRouter(prefix="/family", route_class=PageRoute, include_in_schema=False)

# engine.pace's flags, as the page names them
GOAL_LABELS = {"on track": N_("On track"), "at risk": N_("At risk"), "behind": N_("Behind")}


@router.get("", response_class=HTMLResponse)
def my_children(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: GuardianPage
) -> Response:
    summaries = []
    for child in family.my_children(session, user):
        summaries.append(family.child_summary(session, runtime, user, child.student_id))
    return render(
        request,
        "family/children.html",
        {
            "title": N_("My children"),
            "active": "family",
            "children": summaries,
            "goal_labels": GOAL_LABELS,
        },
    )


@router.get("/children/{student_id}", response_class=HTMLResponse)
def one_child(
    request: Request, student_id: DbId, session: SessionDep, runtime: RuntimeDep, user: GuardianPage
) -> Response:
    summary = family.child_summary(session, runtime, user, student_id)
    return render(
        request,
        "family/children.html",
        {
            "title": N_("My children"),
            "active": "family",
            "children": [summary],
            "single": True,
            "goal_labels": GOAL_LABELS,
        },
    )
