"""Student pages: what's next (three choices with reasons), practice with feedback, skill map.

Thin: recommendations, answer checking and recording, mastery and history all come
from the services (`practice`, `students`); this module only reads forms and picks
what to show. An answer POST renders its result directly (no redirect): the form's
idempotency key makes a reload or double submit return the first reply instead of
logging the answer twice.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep, SessionDep
from api.i18n.markers import N_
from api.pages.errors import PageRoute
from api.pages.practice_view import (
    KIND_LABELS,
    MAX_TRIES,
    read_answer_form,
    tries_used,
    unfinished_item,
    wrong_streak,
)
from api.pages.session import CsrfChecked, StudentPage
from api.pages.skill_map import student_map
from api.pages.templating import render
from api.runtime import Runtime
from api.services import answers, pace, practice, students
from api.services.cache import Snapshot
from api.services.errors import Conflict, Invalid, NotFound
from content.answers import canonical_answer
from models.practice import (
    AnswerResult,
    AnswerSubmit,
    NextItems,
    PracticeItem,
    SkillMasteryPublic,
    Suggestion,
)
from models.users import User

router = APIRouter(prefix="/student", route_class=PageRoute, include_in_schema=False)

HISTORY_WINDOW = 4 * MAX_TRIES
GoalQuery = Annotated[str | None, Query(max_length=100)]


def _sid(user: User) -> int:
    assert user.id is not None
    return user.id


def _mastery(session: Any, runtime: Runtime, user: User) -> dict[str, SkillMasteryPublic]:
    """The student's skills; pages show `effective`, the estimate `mastered` is decided on."""
    m = students.student_mastery(session, runtime, user, _sid(user))
    return {s.skill_id: s for s in m.skills}


def _recent(session: Any, user: User) -> list[Any]:
    return students.student_history(session, user, _sid(user), limit=HISTORY_WINDOW).entries


def _usable_item(snap: Snapshot, item_id: str) -> PracticeItem:
    found = snap.items.get(item_id)
    if found is None or found.retired or not found.skills:
        raise NotFound(f"There is no practice item {item_id!r} (it may have been retired).")
    return PracticeItem.model_validate(dict(found.student))


def _choices(nxt: NextItems) -> list[Suggestion]:
    return ([nxt.recommended] if nxt.recommended else []) + list(nxt.alternatives)


def _in_play(
    choices: list[Suggestion], mastery: dict[str, SkillMasteryPublic], extra: list[str]
) -> list[SkillMasteryPublic]:
    """Skills the choices (and the item just answered) are about, each once, in that order."""
    ids: list[str] = []
    for s in extra + [c.skill_id for c in choices] + [c.related_skill or "" for c in choices]:
        if s and s in mastery and s not in ids:
            ids.append(s)
    return [mastery[s] for s in ids]


def _goal_ok(snap: Snapshot, goal: str | None) -> str | None:
    return goal if goal and goal in snap.graph else None


@router.get("", response_class=HTMLResponse)
def whats_next(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StudentPage,
    goal: GoalQuery = None,
) -> Response:
    snap = runtime.cache.recent(session)
    goal = _goal_ok(snap, goal)
    nxt = practice.next_items(session, runtime, _sid(user), goal)
    mastery = _mastery(session, runtime, user)
    recent = _recent(session, user)
    resume_id = unfinished_item(recent)
    resume: dict[str, Any] | None = None
    extra: list[str] = []
    if resume_id and resume_id in snap.items and not snap.items[resume_id].retired:
        item = PracticeItem.model_validate(dict(snap.items[resume_id].student))
        resume = {"item": item, "used": tries_used(recent, resume_id)}
        extra = item.skills[:1]
    choices = _choices(nxt)
    return render(
        request,
        "student/next.html",
        {
            "title": N_("What's next"),
            "active": "practice",
            "choices": choices,
            "message": nxt.message,
            "kind_labels": KIND_LABELS,
            "resume": resume,
            "max_tries": MAX_TRIES,
            "goal": goal,
            "goal_name": snap.skill_names.get(goal, goal) if goal else None,
            "in_play": _in_play(choices, mastery, extra),
            "skill_names": snap.skill_names,
            "goal_progress": pace.goal_progress(session, runtime, _sid(user)),
        },
    )


def _item_context(
    snap: Snapshot,
    item: PracticeItem,
    mastery: dict[str, SkillMasteryPublic],
    *,
    used: int,
    hints: int,
    goal: str | None,
) -> dict[str, Any]:
    return {
        "title": f"Practise: {snap.skill_names.get(item.skills[0], item.skills[0])}",
        "active": "practice",
        "item": item,
        "skill_names": snap.skill_names,
        "skills": [mastery[s] for s in item.skills if s in mastery],
        "used": used,
        "max_tries": MAX_TRIES,
        "hints_shown": max(0, min(hints, len(item.hints))),
        "goal": goal,
        "idempotency_key": uuid.uuid4().hex,
        "echo": {},
        "input_error": None,
        "result": None,
        "done": False,
        "solution": None,
        "kind_labels": KIND_LABELS,
    }


@router.get("/practice/{item_id}", response_class=HTMLResponse)
def practice_item(
    request: Request,
    item_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StudentPage,
    hints: Annotated[int, Query(ge=0, le=20)] = 0,
    goal: GoalQuery = None,
) -> Response:
    snap = runtime.cache.recent(session)
    item = _usable_item(snap, item_id)
    ctx = _item_context(
        snap,
        item,
        _mastery(session, runtime, user),
        used=tries_used(_recent(session, user), item_id),
        hints=hints,
        goal=_goal_ok(snap, goal),
    )
    return render(request, "student/practice.html", ctx)


@router.post("/practice/{item_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def answer_item(
    request: Request,
    item_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StudentPage,
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    # The answer's database work and the page run in a worker thread (as the API's
    # answers do), never on the event loop that every other request needs.
    return await to_thread.run_sync(
        _answer_page, request, item_id, session, runtime, user, form,
        limiter=runtime.practice_limiter,
    )  # fmt: skip


def _answer_page(
    request: Request,
    item_id: str,
    session: Any,
    runtime: Runtime,
    user: User,
    form: dict[str, str],
) -> Response:
    snap = runtime.cache.recent(session)
    item = _usable_item(snap, item_id)
    goal = _goal_ok(snap, form.get("goal"))
    hints = _int(form.get("hints_shown"), 0)
    key = form.get("idempotency_key") or ""
    read = read_answer_form(item.type, form)

    def again(error: str, used: int) -> Response:
        ctx = _item_context(
            snap, item, _mastery(session, runtime, user), used=used, hints=hints, goal=goal
        )
        ctx.update(echo=read.echo, input_error=error)
        return render(request, "student/practice.html", ctx, status_code=422)

    if read.text is None or not key:
        used = tries_used(_recent(session, user), item_id)
        return again(read.error or N_("This page has expired: reload it and try again."), used)
    before = _mastery(session, runtime, user)
    try:
        result = answers.submit_answer(
            session,
            runtime,
            _sid(user),
            AnswerSubmit(item_id=item_id, answer=read.text, idempotency_key=key),
        )
    except Conflict:  # this page's key is being (or was) used: a double submission
        return again(ALREADY_SENT, tries_used(_recent(session, user), item_id))
    except Invalid as exc:
        return again(str(exc.detail), tries_used(_recent(session, user), item_id))
    if not result.recorded:
        return again(result.error or result.feedback, tries_used(_recent(session, user), item_id))
    return _result_page(request, session, runtime, user, snap, item, result, before, hints, goal)


ALREADY_SENT = N_("This answer was already sent: reload the page to see where you are.")


def _int(text: str | None, default: int) -> int:
    try:
        return max(0, min(20, int(text or default)))
    except ValueError:
        return default


def _result_page(
    request: Request,
    session: Any,
    runtime: Runtime,
    user: User,
    snap: Snapshot,
    item: PracticeItem,
    result: AnswerResult,
    before: dict[str, SkillMasteryPublic],
    hints: int,
    goal: str | None,
) -> Response:
    streak = wrong_streak(_recent(session, user), item.id)
    done = result.correct or streak % MAX_TRIES == 0
    used = 0 if done else streak % MAX_TRIES
    mastery = _mastery(session, runtime, user)
    ctx = _item_context(snap, item, mastery, used=used, hints=hints, goal=goal)
    content = snap.items[item.id].content
    ctx.update(result=result, done=done)
    ctx["changes"] = {
        s.skill_id: {"before": before[s.skill_id].effective, "after": s.effective}
        for s in ctx["skills"]
        if s.skill_id in before
    }
    if done:
        ctx["solution"] = content.solution
        ctx["correct_answer"] = None if result.correct else canonical_answer(content.answer)
        nxt = result.next
        if goal and nxt is not None:
            nxt = practice.next_items(session, runtime, _sid(user), goal)
        ctx["choices"] = _choices(nxt) if nxt is not None else []
    return render(request, "student/practice.html", ctx)


@router.get("/map", response_class=HTMLResponse)
def skill_map(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StudentPage,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    snap = runtime.cache.recent(session)
    view = student_map(session, snap, _mastery(session, runtime, user), unit)
    return render(
        request,
        "student/map.html",
        {"title": N_("My skill map"), "active": "map", "map": view},
    )
