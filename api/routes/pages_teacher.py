"""Teacher pages: my classes, the class heatmap (+ CSV), one student's history and curve.

The numbers come from `services.heatmap.class_heatmap` and `services.students`; the
view model in `api.pages.heatmap` only colours, groups, sorts and filters them. A cell
shows the effective mastery (BKT plus evidence from related skills) when the service
provides it, because that is what its "mastered" flag is decided on.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import paging
from api.deps import RuntimeDep, SessionDep
from api.pages.curve import render_mastery_curve
from api.pages.curve_data import mastery_path
from api.pages.errors import PageRoute
from api.pages.heatmap import (
    CellIn,
    HeatmapView,
    HeatSkill,
    HeatStudent,
    SortKey,
    build_heatmap,
    unit_starts,
)
from api.pages.session import CsrfChecked, TeacherPage
from api.pages.skill_map import units_for
from api.pages.templating import render
from api.routes.pages_roster_sync import roster_flash
from api.services import auth, classes, heatmap, lti_roster, students
from api.services.cache import Snapshot
from api.services.errors import Invalid, NotFound
from models.heatmap import Heatmap

router = APIRouter(prefix="/teacher", route_class=PageRoute, include_in_schema=False)

HISTORY_SHOWN = 50


CLASSES_PAGE_SIZE = 50


@router.get("", response_class=HTMLResponse)
def my_classes(
    request: Request,
    session: SessionDep,
    user: TeacherPage,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    query = classes.classes_query(user)
    total = paging.count(session, query)
    pages = max(1, -(-total // CLASSES_PAGE_SIZE))
    page = min(page, pages)
    found = classes.public_classes(
        session,
        list(
            session.execute(
                query.limit(CLASSES_PAGE_SIZE).offset((page - 1) * CLASSES_PAGE_SIZE)
            ).scalars()
        ),
    )
    return render(
        request,
        "teacher/classes.html",
        {
            "title": "My classes",
            "active": "classes",
            "classes": found,
            "page": page,
            "pages": pages,
            "total": total,
        },
    )


def _subgroup_key(group: str | None) -> tuple[str, str] | None:
    """'attr:value' (the API's spelling) -> (attr, value); anything else is an error."""
    if not group:
        return None
    attr, sep, value = group.partition(":")
    if not sep or not attr.strip() or not value.strip():
        raise Invalid(f"group: expected 'attribute:value', e.g. 'ell:yes', got {group!r}")
    return attr.strip(), value.strip()


def heatmap_view(
    session: Any, snap: Snapshot, hm: Heatmap, sort: SortKey, group: tuple[str, str] | None
) -> HeatmapView:
    """The service's heatmap as the page's view model (units from the stored curriculum)."""
    units = units_for(session, snap)
    unit_of = {s: u.name for u in units for s in u.skills}
    skills = [
        HeatSkill(s.skill_id, s.skill_name, unit_of.get(s.skill_id, "Other"), s.threshold)
        for s in hm.skills
    ]
    people = []
    cells: dict[tuple[int, str], CellIn] = {}
    for r in hm.students:
        tags = tuple(f"{k}={v}" for k, v in sorted(r.attributes.items()))
        people.append(HeatStudent(r.student_id, r.full_name or r.username, tags))
        for c in r.cells:
            # Show the estimate the mastered flag is decided on, so "71 ✓" cannot happen.
            value = c.effective if c.attempts else None
            cells[(r.student_id, c.skill_id)] = CellIn(value, c.mastered, c.stuck)

    def href(st: HeatStudent, sk: HeatSkill) -> str:
        return f"/teacher/classes/{hm.class_id}/students/{st.id}?skill={quote(sk.id, safe='')}"

    chosen = f"{group[0]}={group[1]}" if group else None
    return build_heatmap(people, skills, cells, sort=sort, subgroup=chosen, cell_href=href)


@router.get("/classes/{class_id}", response_class=HTMLResponse)
def class_page(
    request: Request,
    class_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    sort: Annotated[SortKey, Query()] = "name",
    group: Annotated[str | None, Query(max_length=100)] = None,
    roster: Annotated[str | None, Query(max_length=20)] = None,
    added: Annotated[int, Query(ge=0)] = 0,
    removed: Annotated[int, Query(ge=0)] = 0,
    teachers: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    wanted = _subgroup_key(group or None)
    api_group = f"{wanted[0]}:{wanted[1]}" if wanted else None
    hm = heatmap.class_heatmap(session, runtime, user, class_id, api_group)
    view = heatmap_view(session, runtime.cache.recent(session), hm, sort, wanted)
    names = {s.skill_id: s.skill_name for s in hm.skills}
    return render(
        request,
        "teacher/heatmap.html",
        {
            "title": f"{hm.class_name}: class heatmap",
            "active": "classes",
            "hm": hm,
            "view": view,
            "starts": unit_starts(view.skills),
            "group": group or "",
            "group_options": [(g.replace("=", ":", 1), g) for g in view.subgroups],
            "skill_names": names,
            "csv_url": f"/teacher/classes/{class_id}/heatmap.csv",
            "roster_sync": lti_roster.offers_sync(session, class_id),
            "flashes": roster_flash(roster, added, removed, teachers),
            "group_csv_url": (
                f"/teacher/classes/{class_id}/heatmap.csv?group={quote(api_group, safe='')}"
                if api_group
                else None
            ),
        },
    )


@router.get("/classes/{class_id}/heatmap.csv")
def class_csv(
    class_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    group: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    wanted = _subgroup_key(group or None)
    api_group = f"{wanted[0]}:{wanted[1]}" if wanted else None
    hm = heatmap.class_heatmap(session, runtime, user, class_id, api_group)
    safe = "".join(ch if ch.isalnum() else "-" for ch in hm.class_name).strip("-") or "class"
    suffix = (
        "-groups-" + "".join(ch if ch.isalnum() else "-" for ch in api_group) if api_group else ""
    )
    return Response(
        content=heatmap.heatmap_csv(hm),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}-mastery{suffix}.csv"'},
    )


@router.get("/classes/{class_id}/students/{student_id}", response_class=HTMLResponse)
def student_page(
    request: Request,
    class_id: int,
    student_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    user: TeacherPage,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    unlocked: bool = False,
) -> Response:
    classroom, enrolment = _enrolled(session, user, class_id, student_id)
    login_lock = auth.login_lock(session, runtime, enrolment.username)
    name = enrolment.full_name or enrolment.username
    mastery = students.student_mastery(session, runtime, user, student_id)
    first = students.student_history(session, user, student_id, limit=1)
    history = students.student_history(session, user, student_id, limit=max(1, first.total))
    snap = runtime.cache.recent(session)
    rows = {s.skill_id: s for s in mastery.skills}
    if skill not in rows:
        practised = [s for s in mastery.skills if s.attempts]
        stuck = [s for s in practised if s.stuck]
        skill = (stuck or practised)[0].skill_id if practised else None
    curve = None
    answers: list[Any] = []
    answer_pages = 1
    if skill is not None:
        oldest_first = list(reversed(history.entries))
        prior, points = mastery_path(snap, oldest_first, skill)
        name = rows[skill].skill_name
        curve = render_mastery_curve(
            points,
            prior=prior,
            threshold=rows[skill].threshold,
            title=f"Mastery of {name} for {mastery.username}, answer by answer",
        )
        on_skill = [e for e in history.entries if skill in e.skills]
        answer_pages = max(1, -(-len(on_skill) // HISTORY_SHOWN))
        page = min(page, answer_pages)
        answers = on_skill[(page - 1) * HISTORY_SHOWN : page * HISTORY_SHOWN]
    return render(
        request,
        "teacher/student.html",
        {
            "title": f"{enrolment.full_name or enrolment.username}: history",
            "active": "classes",
            "classroom": classroom,
            "student": enrolment,
            "mastery": mastery,
            "skill": rows.get(skill) if skill else None,
            "curve": curve,
            "answers": answers,
            "total": history.total,
            "items": snap.items,
            "history_shown": HISTORY_SHOWN,
            "answers_page": page,
            "answers_pages": answer_pages,
            "login_lock": login_lock,
            "flashes": (
                [{"kind": "success", "text": f"{name} can log in again."}]
                if unlocked and not login_lock.locked
                else []
            ),
        },
    )


def _enrolled(session: Any, user: Any, class_id: int, student_id: int) -> tuple[Any, Any]:
    """The class and the student's enrolment in it (NotFound if not the teacher's)."""
    classroom = classes.get_class(session, user, class_id)
    enrolment = next(
        (e for e in classes.class_students(session, user, class_id) if e.student_id == student_id),
        None,
    )
    if enrolment is None:
        raise NotFound(f"There is no student {student_id} in {classroom.name}.")
    return classroom, enrolment


@router.post("/classes/{class_id}/students/{student_id}/unlock", dependencies=[CsrfChecked])
def unlock_student(
    class_id: int, student_id: int, session: SessionDep, user: TeacherPage
) -> Response:
    """Clear a student's failed logins (too many typos locked the account)."""
    _, enrolment = _enrolled(session, user, class_id, student_id)
    auth.clear_login_lock(session, enrolment.username)
    return RedirectResponse(
        f"/teacher/classes/{class_id}/students/{student_id}?unlocked=1", status_code=303
    )
