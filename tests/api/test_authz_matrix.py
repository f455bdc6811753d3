"""The authorisation matrix, extended: every /api operation, others' ids, and no leaks.

tests/api/test_authorisation.py holds the base table (each route once, with the
caller's own class and student). This file adds, with the same conventions (wrong
role 403, record out of reach 404 exactly like a missing id, anonymous 401):

- the operations the base table leaves out, and each id-taking route called with
  *another* class's and *another* student's ids, and with ids that do not exist;
- a completeness check: every operation in the OpenAPI schema is covered by one of
  the two tables, so a new route cannot ship without its row;
- leak checks: refusals carry nothing about the target, and the lists a role may
  read (classes, enrolments, heatmap rows, history) hold only its own records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.db import write_transaction
from api.runtime import Runtime
from api.services import fits, goals, items, params
from engine.params import ModelParams, SkillParams
from models.fit_jobs import FitOptions
from models.goals import GoalCreate
from models.users import Role
from tests.api.test_authorisation import CASES as BASE_CASES
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT
from tests.utils.roster import small_school

ROLES = (
    "anonymous", "student", "other_student", "teacher", "other_teacher", "designer", "admin",
    "guardian", "other_guardian",
)  # fmt: skip
USERS = ROLES[1:]
MISSING = 987_654  # an id nobody has


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, int | str]
    names: dict[str, str]  # role -> username


@pytest.fixture
def world(client: TestClient, session: Session, runtime: Runtime) -> World:
    """Two classes, each with its teacher and one student who has answered; a param set,
    a queued fit job and a retired item, so every route has real ids to point at."""
    f.load_curriculum(session)
    users = {
        role: f.make_user(session, runtime, Role(role.removeprefix("other_"))) for role in USERS
    }
    mine = f.make_class(session, users["teacher"], [users["student"]])
    theirs = f.make_class(session, users["other_teacher"], [users["other_student"]])
    f.link_guardian(session, users["guardian"], users["student"])
    f.link_guardian(session, users["other_guardian"], users["other_student"])
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    headers |= {role: f.login(client, u.username) for role, u in users.items()}
    for role, item in (("student", "eq1"), ("other_student", "ad1")):
        reply = f.answer(client, headers[role], item, RIGHT[item])
        assert reply.status_code == 200 and reply.json()["recorded"], reply.text
    with write_transaction(session):
        pset = params.store_param_set(
            session,
            ModelParams(skills={"add": SkillParams(prior=0.2, learn=0.2, guess=0.2, slip=0.1)}),
            source="upload",
        )
    job = fits.create_fit_job(session, users["designer"], FitOptions())  # queued, never run
    items.set_retired(session, "mu3", True)
    today = datetime.now(UTC).date()
    goal = goals.create_goal(
        session, runtime.cache.recent(session), users["teacher"], _id(mine.id),
        GoalCreate(unit_id="u1", target_date=today + timedelta(days=30)), today,
    )  # fmt: skip
    ids: dict[str, int | str] = {role: _id(u.id) for role, u in users.items()}
    ids |= {
        "class": _id(mine.id),
        "other_class": _id(theirs.id),
        "param_set": _id(pset.id),
        "job": _id(job.id),
        "goal": goal.id,
        "missing": MISSING,
    }
    return World(headers, ids, {role: u.username for role, u in users.items()})


def _id(value: int | None) -> int:
    assert value is not None
    return value


def expect(**codes: int) -> dict[str, int]:
    """Codes per role; roles not named get 403 (anonymous 401)."""
    short = {"s": "student", "os": "other_student", "t": "teacher", "ot": "other_teacher",
             "d": "designer", "ad": "admin", "g": "guardian", "og": "other_guardian"}  # fmt: skip
    base = {role: 403 for role in ROLES} | {"anonymous": 401}
    return base | {short[k]: v for k, v in codes.items()}


# guardians: 404 on the student routes too (their door is /api/family)
VIEWERS_OF_STUDENT = expect(s=200, os=404, t=200, ot=404, d=404, ad=200, g=404, og=404)
VIEWERS_OF_OTHER_STUDENT = expect(s=404, os=200, t=404, ot=200, d=404, ad=200, g=404, og=404)
NOBODY_BUT_SELF_404 = expect(s=404, os=404, t=200, ot=404, d=404, ad=404, g=404, og=404)
NOBODY_404 = expect(s=404, os=404, t=404, ot=404, d=404, ad=404, g=404, og=404)
CHILD_OF_GUARDIAN = expect(g=200, og=404, ad=404)
CHILD_OF_OTHER_GUARDIAN = expect(g=404, og=200, ad=404)
NO_ONES_CHILD = expect(g=404, og=404, ad=404)

# (method, path, body kind, expected code per role); {name} is an id from World.ids
EXTRA_CASES: list[tuple[str, str, str | None, dict[str, int]]] = [
    ("POST", "/api/auth/token", "login", {role: 200 for role in ROLES}),
    ("POST", "/api/auth/token", "bad_login", {role: 401 for role in ROLES}),
    ("POST", "/api/auth/logout", None, {role: 204 for role in USERS} | {"anonymous": 401}),
    ("GET", "/api/students/{student}/login-lock", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/students/{other_student}/login-lock", None, expect(t=404, ot=200, ad=200)),
    ("GET", "/api/students/{missing}/login-lock", None, expect(t=404, ot=404, ad=404)),
    ("DELETE", "/api/students/{student}/login-lock", None, expect(t=204, ot=404, ad=204)),
    ("DELETE", "/api/students/{other_student}/login-lock", None, expect(t=404, ot=204, ad=204)),
    ("PATCH", "/api/users/{student}", "rename", expect(ad=200)),
    ("PATCH", "/api/users/{missing}", "rename", expect(ad=404)),
    ("POST", "/api/classes/{class}/teachers/{other_teacher}", None, expect(ad=204)),
    ("POST", "/api/classes/{missing}/teachers/{teacher}", None, expect(ad=404)),
    (
        "GET",
        "/api/classes/{other_class}",
        None,
        expect(s=404, os=404, t=404, ot=200, d=404, ad=200, g=404, og=404),
    ),
    ("GET", "/api/classes/{missing}", None, NOBODY_404),
    (
        "GET",
        "/api/classes/{other_class}/students",
        None,
        expect(s=404, os=404, t=404, ot=200, d=404, ad=200, g=404, og=404),
    ),
    ("GET", "/api/classes/{other_class}/heatmap", None, expect(t=404, ot=200, ad=200)),
    ("GET", "/api/classes/{missing}/heatmap", None, expect(t=404, ot=404, ad=404)),
    ("POST", "/api/classes/{other_class}/students", "enrol_student", expect(ad=201)),
    ("POST", "/api/classes/{missing}/students", "enrol_student", expect(ad=404)),
    ("GET", "/api/students/{other_student}/mastery", None, VIEWERS_OF_OTHER_STUDENT),
    ("GET", "/api/students/{other_student}/history", None, VIEWERS_OF_OTHER_STUDENT),
    ("GET", "/api/students/{missing}/mastery", None, NOBODY_404),
    ("GET", "/api/students/{missing}/history", None, NOBODY_404),
    # a teacher's id is not a student's: 404 like a missing one, except for themselves
    ("GET", "/api/students/{teacher}/mastery", None, NOBODY_BUT_SELF_404),
    ("GET", "/api/students/{student}/mastery", None, VIEWERS_OF_STUDENT),
    ("GET", "/api/items/{missing}", None, expect(d=404, ad=404)),
    ("PUT", "/api/items/{missing}", "edit_item", expect(d=404, ad=404)),
    ("POST", "/api/items/mu3/restore", None, expect(d=200, ad=200)),
    ("POST", "/api/items/{missing}/retire", None, expect(d=404, ad=404)),
    ("GET", "/api/items/{missing}/stats", None, expect(d=404, ad=404)),
    ("GET", "/api/params/{param_set}", None, expect(d=200, ad=200)),
    ("GET", "/api/params/{missing}", None, expect(d=404, ad=404)),
    ("POST", "/api/params", "param_file", expect(d=201, ad=201)),
    ("POST", "/api/params/{param_set}/activate", None, expect(d=200, ad=200)),
    ("GET", "/api/params/{param_set}/gate", None, expect(d=200, ad=200)),
    ("GET", "/api/params/{missing}/gate", None, expect(d=404, ad=404)),
    ("GET", "/api/activations", None, expect(d=200, ad=200)),
    ("GET", "/api/fits/{job}", None, expect(d=200, ad=200)),
    ("POST", "/api/fits/{job}/activate", None, expect(d=409, ad=409)),
    ("POST", "/api/fits/{missing}/activate", None, expect(d=404, ad=404)),
    ("POST", "/api/roster/imports", "roster_zip", expect(ad=201)),
    ("POST", "/api/roster/imports?dry_run=true", "roster_zip", expect(ad=200)),
    ("GET", "/api/roster/imports/{missing}", None, expect(ad=404)),
    ("GET", "/api/privacy/students/{student}/export", None, expect(ad=200)),
    ("GET", "/api/privacy/students/{other_student}/export?format=csv", None, expect(ad=200)),
    ("GET", "/api/privacy/students/{missing}/export", None, expect(ad=404)),
    ("GET", "/api/privacy/students/{teacher}/export", None, expect(ad=404)),
    ("POST", "/api/privacy/students/{other_student}/purge", "purge", expect(ad=200)),
    ("POST", "/api/privacy/students/{teacher}/purge", "purge", expect(ad=404)),
    ("POST", "/api/privacy/students/{missing}/purge", "purge", expect(ad=404)),
    ("GET", "/api/classes/{class}/goals", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/classes/{other_class}/goals", None, expect(t=404, ot=200, ad=200)),
    ("POST", "/api/classes/{class}/goals", "goal", expect(t=201, ot=404, ad=201)),
    ("POST", "/api/classes/{missing}/goals", "goal", expect(t=404, ot=404, ad=404)),
    ("GET", "/api/goals/{goal}/pace", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/goals/{missing}/pace", None, expect(t=404, ot=404, ad=404)),
    # roles go in ROLES order: the teacher archives it, so the admin then finds none
    ("DELETE", "/api/goals/{goal}", None, expect(t=204, ot=404, ad=404)),
    ("GET", "/api/students/me/goal", None, expect(s=200, os=200, ad=200)),
    ("GET", "/api/students/{student}/goal", None, VIEWERS_OF_STUDENT),
    ("GET", "/api/students/{other_student}/goal", None, VIEWERS_OF_OTHER_STUDENT),
    ("GET", "/api/family/children/{student}", None, CHILD_OF_GUARDIAN),
    ("GET", "/api/family/children/{other_student}", None, CHILD_OF_OTHER_GUARDIAN),
    ("GET", "/api/family/children/{missing}", None, NO_ONES_CHILD),
    ("GET", "/api/family/children/{teacher}", None, NO_ONES_CHILD),
    ("GET", "/api/family/children/{guardian}", None, NO_ONES_CHILD),
    # roles run in ROLES order: the other teacher makes the link, the admin finds it made
    ("POST", "/api/guardian-links", "link_other", expect(t=404, ot=201, ad=200)),
    ("POST", "/api/guardian-links", "link_to_teacher", expect(t=404, ot=404, ad=404)),
    ("POST", "/api/guardians", "new_guardian_other", expect(t=404, ot=201, ad=201)),
    # the other teacher removes the link; for the admin after it, it is gone
    (
        "DELETE",
        "/api/guardian-links/{other_guardian}/{other_student}",
        None,
        expect(t=404, ot=204, ad=404),
    ),
    ("DELETE", "/api/guardian-links/{guardian}/{missing}", None, expect(t=404, ot=404, ad=404)),
    ("GET", "/api/classes/{class}/groups", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/classes/{other_class}/groups", None, expect(t=404, ot=200, ad=200)),
    ("GET", "/api/classes/{class}/standards", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/classes/{other_class}/standards?format=csv", None, expect(t=404, ot=200, ad=200)),
    ("GET", "/api/classes/{missing}/standards", None, expect(t=404, ot=404, ad=404)),
    ("GET", "/api/classes/{class}/equity", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/classes/{other_class}/equity", None, expect(t=404, ot=200, ad=200)),
    ("GET", "/api/lti/platforms/{missing}", None, expect(ad=404)),
    ("PATCH", "/api/lti/platforms/{missing}", "rename", expect(ad=404)),
    ("DELETE", "/api/lti/platforms/{missing}", None, expect(ad=404)),
    ("POST", "/api/lti/classes/{missing}/roster-sync", None, expect(t=404, ot=404, ad=404)),
]


def _body(kind: str | None, role: str, world: World) -> dict[str, Any]:
    """Request arguments for a body kind (unique per role, so repeats do not collide)."""
    if kind is None:
        return {}
    if kind == "login":
        return {"data": {"username": world.names["student"], "password": f.PASSWORD}}
    if kind == "bad_login":
        # one username per role: five failures on one account would be rate-limited (429)
        return {"data": {"username": world.names.get(role, "nobody"), "password": "wrong-pw1"}}
    if kind == "link_other":
        return {
            "json": {"guardian_id": world.ids["guardian"], "student_id": world.ids["other_student"]}
        }
    if kind == "link_to_teacher":  # a teacher's id is not a student's
        return {"json": {"guardian_id": world.ids["guardian"], "student_id": world.ids["teacher"]}}
    if kind == "new_guardian_other":
        return {"json": {"username": f"family-by-{role}", "password": "long-enough-1",
                         "student_id": world.ids["other_student"]}}  # fmt: skip
    if kind == "rename":
        return {"json": {"full_name": f"renamed by {role}"}}
    if kind == "enrol_student":
        return {"json": {"student_id": world.ids["student"], "attributes": {"ell": "no"}}}
    if kind == "edit_item":
        return {"json": {"skills": ["add"], "type": "numeric", "prompt": "2+2",
                         "answer": {"value": 4}}}  # fmt: skip
    if kind == "goal":
        return {
            "json": {
                "skills": ["add"],
                "target_date": (datetime.now(UTC).date() + timedelta(7)).isoformat(),
            }
        }
    if kind == "param_file":
        model = ModelParams(skills={"add": SkillParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1)})
        return {"json": model.to_json_dict()}
    if kind == "roster_zip":
        return {"files": {"file": ("oneroster.zip", small_school().zip(), "application/zip")}}
    if kind == "purge":
        name = world.names["other_student"]
        return {"json": {"confirm_username": name, "reason": "verified written request"}}
    raise AssertionError(f"unknown body kind {kind!r}")


def _url(path: str, world: World) -> str:
    return path.format(**{k: v for k, v in world.ids.items()})


def _send(
    client: TestClient, world: World, role: str, method: str, path: str, kind: str | None
) -> httpx.Response:
    return client.request(
        method, _url(path, world), headers=world.headers[role], **_body(kind, role, world)
    )


@pytest.mark.parametrize(
    ("method", "path", "kind", "codes"),
    EXTRA_CASES,
    ids=[f"{m} {p}" + (f" ({k})" if k else "") for m, p, k, _ in EXTRA_CASES],
)
def test_route_by_role_with_others_ids(
    client: TestClient,
    world: World,
    method: str,
    path: str,
    kind: str | None,
    codes: dict[str, int],
) -> None:
    replies = {role: _send(client, world, role, method, path, kind) for role in ROLES}
    assert {role: r.status_code for role, r in replies.items()} == codes
    for role, reply in replies.items():
        if reply.status_code in (401, 403, 404):
            _assert_reveals_nothing(world, role, reply.text)


def _assert_reveals_nothing(world: World, role: str, text: str) -> None:
    """A refusal names no other user (usernames are what a snooper would be after)."""
    for other, name in world.names.items():
        if other != role:
            assert name not in text, f"{role}'s refusal mentions {other} ({name}): {text}"
    assert "password" not in text.lower() or "username or password" in text.lower(), text


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    schema = app.openapi()
    return [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/")
        for method in ops
    ]


def _covers(template: str, method: str, case: tuple[str, str, Any, Any]) -> bool:
    case_method, case_path = case[0], case[1].split("?", 1)[0]
    if case_method != method:
        return False
    pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    return re.match(pattern, case_path) is not None


def test_every_api_operation_has_a_row(app: FastAPI) -> None:
    cases = [*BASE_CASES, *EXTRA_CASES]
    missing = [
        f"{method} {path}"
        for method, path in _operations(app)
        if not any(_covers(path, method, c) for c in cases)
    ]
    assert missing == [], "add these operations to the authorisation matrix"


def test_refusals_of_others_records_match_missing_ids(client: TestClient, world: World) -> None:
    """404 for someone else's record reads exactly like 404 for an id that does not exist."""
    other, missing = world.ids["other_student"], world.ids["missing"]
    for suffix in ("mastery", "history"):
        theirs = client.get(f"/api/students/{other}/{suffix}", headers=world.headers["teacher"])
        nobody = client.get(f"/api/students/{missing}/{suffix}", headers=world.headers["teacher"])
        assert theirs.status_code == nobody.status_code == 404
        assert theirs.json()["detail"].replace(str(other), "ID") == nobody.json()["detail"].replace(
            str(missing), "ID"
        )
        assert set(theirs.headers) == set(nobody.headers)


def test_lists_hold_only_the_callers_records(client: TestClient, world: World) -> None:
    ids, h = world.ids, world.headers

    def get(role: str, url: str) -> Any:
        reply = client.get(url, headers=h[role])
        assert reply.status_code == 200, (role, url, reply.text)
        return reply.json()

    assert [c["id"] for c in get("teacher", "/api/classes")] == [ids["class"]]
    assert [c["id"] for c in get("other_teacher", "/api/classes")] == [ids["other_class"]]
    assert [c["id"] for c in get("student", "/api/classes")] == [ids["class"]]
    assert get("designer", "/api/classes") == []
    assert {c["id"] for c in get("admin", "/api/classes")} == {ids["class"], ids["other_class"]}

    roster = get("teacher", f"/api/classes/{ids['class']}/students")
    assert [e["student_id"] for e in roster] == [ids["student"]]
    heatmap = get("teacher", f"/api/classes/{ids['class']}/heatmap")
    assert [row["student_id"] for row in heatmap["students"]] == [ids["student"]]
    csv = client.get(f"/api/classes/{ids['class']}/heatmap?format=csv", headers=h["teacher"])
    assert world.names["student"] in csv.text and world.names["other_student"] not in csv.text

    for role in ("student", "teacher", "admin"):
        history = get(role, f"/api/students/{ids['student']}/history")
        assert history["total"] == 1 and [e["item_id"] for e in history["entries"]] == ["eq1"]
    mine = get("student", "/api/students/me/mastery")
    assert mine["student_id"] == ids["student"] and mine["username"] == world.names["student"]
    children = get("guardian", "/api/family/children")
    assert [c["student_id"] for c in children] == [ids["student"]]
    summary = client.get(f"/api/family/children/{ids['student']}", headers=h["guardian"])
    assert summary.status_code == 200
    for other in ("other_student", "other_teacher", "other_guardian", "teacher"):
        assert world.names[other] not in summary.text, other
    assert get("other_guardian", "/api/classes") == []
    links = get("teacher", "/api/guardian-links")
    assert [(x["guardian_id"], x["student_id"]) for x in links] == [
        (ids["guardian"], ids["student"])
    ]
    me = get("other_student", "/api/me")
    assert me["id"] == ids["other_student"] and "password_hash" not in me


def test_deactivated_or_repassworded_accounts_lose_access(client: TestClient, world: World) -> None:
    """Tokens stop working at once when an admin deactivates the account or resets its password."""
    student, teacher, admin = (world.headers[r] for r in ("student", "teacher", "admin"))
    assert client.get("/api/me", headers=student).status_code == 200
    reset = client.patch(
        f"/api/users/{world.ids['student']}", json={"password": "brand-new-pass-1"}, headers=admin
    )
    assert reset.status_code == 200
    assert client.get("/api/practice/next", headers=student).status_code == 401
    off = client.patch(
        f"/api/users/{world.ids['teacher']}", json={"is_active": False}, headers=admin
    )
    assert off.status_code == 200
    assert client.get(f"/api/classes/{world.ids['class']}", headers=teacher).status_code == 401
    assert (
        client.post(
            "/api/auth/token", data={"username": world.names["teacher"], "password": f.PASSWORD}
        ).status_code
        == 401
    )
