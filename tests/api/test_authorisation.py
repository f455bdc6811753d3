"""The authorisation matrix: every role against every route, with others' ids.

Convention: a wrong role gets 403; a record outside the caller's reach (another
student, another teacher's class) gets 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.services import lti_platforms
from models.lti import LtiPlatformCreate
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import ITEM_CSV

LMS = {
    "name": "LMS",
    "issuer": "https://lms.example.org",
    "client_id": "pathways",
    "deployment_ids": ["d1"],
    "auth_login_url": "https://lms.example.org/auth",
    "auth_token_url": "https://lms.example.org/token",
    "jwks_url": "https://lms.example.org/jwks",
}
ROLES = (
    "anonymous", "student", "other_student", "teacher", "other_teacher", "designer", "admin",
    "guardian",
)  # fmt: skip


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]


@pytest.fixture
def world(client: TestClient, session: Session, runtime: Runtime) -> World:
    f.load_curriculum(session)
    users = {
        "student": f.make_user(session, runtime, Role.student),
        "other_student": f.make_user(session, runtime, Role.student),
        "teacher": f.make_user(session, runtime, Role.teacher),
        "other_teacher": f.make_user(session, runtime, Role.teacher),
        "designer": f.make_user(session, runtime, Role.designer),
        "admin": f.make_user(session, runtime, Role.admin),
        "guardian": f.make_user(session, runtime, Role.guardian),
    }
    mine = f.make_class(session, users["teacher"], [users["student"]])
    theirs = f.make_class(session, users["other_teacher"], [users["other_student"]])
    f.link_guardian(session, users["guardian"], users["student"])
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    headers |= {r: f.login(client, u.username) for r, u in users.items()}
    assert f.answer(client, headers["student"], "eq1", "2/4").status_code == 200
    lms = lti_platforms.create_platform(session, LtiPlatformCreate.model_validate(LMS))
    ids = {r: u.id for r, u in users.items()} | {"class": mine.id, "other_class": theirs.id}
    ids["lti_platform"] = lms.id
    return World(headers=headers, ids={k: v for k, v in ids.items() if v is not None})


def _item(role: str) -> dict[str, Any]:
    return {
        "id": f"new-{role}",
        "skills": ["add"],
        "type": "numeric",
        "prompt": "1+1",
        "answer": {"value": 2},
    }


A, S, OS, T, OT, D, AD, G = ROLES
DENY_ALL_BUT = {A: 401, S: 403, OS: 403, T: 403, OT: 403, D: 403, AD: 403, G: 403}


def expect(**codes: int) -> dict[str, int]:
    """Codes per role; roles not named get 403 (and anonymous 401)."""
    names = {"a": A, "s": S, "os": OS, "t": T, "ot": OT, "d": D, "ad": AD, "g": G}
    return DENY_ALL_BUT | {names[k]: v for k, v in codes.items()}


CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/api/health", None, {r: 200 for r in ROLES}),
    ("GET", "/api/me", None, expect(s=200, os=200, t=200, ot=200, d=200, ad=200, g=200)),
    ("GET", "/api/users", None, expect(ad=200)),
    ("POST", "/api/users", "new_user", expect(ad=201)),
    ("GET", "/api/classes", None, expect(s=200, os=200, t=200, ot=200, d=200, ad=200, g=200)),
    (
        "GET",
        "/api/classes/{class}",
        None,
        expect(s=404, os=404, t=200, ot=404, d=404, ad=200, g=404),
    ),
    (
        "GET",
        "/api/classes/{class}/students",
        None,
        expect(s=404, os=404, t=200, ot=404, d=404, ad=200, g=404),
    ),
    ("GET", "/api/classes/{class}/heatmap", None, expect(t=200, ot=404, ad=200)),
    ("GET", "/api/classes/{class}/heatmap?format=csv", None, expect(t=200, ot=404, ad=200)),
    ("POST", "/api/classes", "new_class", expect(ad=201)),
    ("POST", "/api/classes/{class}/students", "enrol", expect(ad=201)),
    ("GET", "/api/practice/next", None, expect(s=200, os=200, ad=200)),
    ("POST", "/api/practice/answers", "answer", expect(s=200, os=200, ad=200)),
    ("GET", "/api/students/me/mastery", None, expect(s=200, os=200, ad=200)),
    (
        "GET",
        "/api/students/{student}/mastery",
        None,
        expect(s=200, os=404, t=200, ot=404, d=404, ad=200, g=404),
    ),
    (
        "GET",
        "/api/students/{student}/history",
        None,
        expect(s=200, os=404, t=200, ot=404, d=404, ad=200, g=404),
    ),
    ("GET", "/api/items", None, expect(d=200, ad=200)),
    ("POST", "/api/items", "item", expect(d=201, ad=201)),
    ("GET", "/api/items/eq1", None, expect(d=200, ad=200)),
    ("PUT", "/api/items/eq2", "edit", expect(d=200, ad=200)),
    ("POST", "/api/items/mu3/retire", None, expect(d=200, ad=200)),
    ("GET", "/api/items/eq1/stats", None, expect(d=200, ad=200)),
    ("POST", "/api/content/import", "csv", expect(d=200, ad=422)),  # admin: ids now taken
    ("POST", "/api/fits", "fit", expect(d=202, ad=202)),
    ("GET", "/api/params", None, expect(d=200, ad=200)),
    ("POST", "/api/params/999/activate", None, expect(d=404, ad=404)),
    ("GET", "/api/fits/999", None, expect(d=404, ad=404)),
    # a guardian reaches their linked child's summary and their own settings, nothing else
    ("GET", "/api/family/children", None, expect(g=200, ad=200)),
    ("GET", "/api/family/children/{student}", None, expect(g=200, ad=404)),
    ("GET", "/api/guardian-links", None, expect(t=200, ot=200, ad=200)),
    ("POST", "/api/guardian-links", "guardian_link", expect(t=200, ot=404, ad=200)),
    ("POST", "/api/guardians", "new_guardian", expect(t=201, ot=404, ad=201)),
    ("GET", "/api/me/settings", None, expect(s=200, os=200, t=200, ot=200, d=200, ad=200, g=200)),
    (
        "PATCH",
        "/api/me/settings",
        "settings",
        expect(s=200, os=200, t=200, ot=200, d=200, ad=200, g=200),
    ),
    ("GET", "/api/roster/imports", None, expect(ad=200)),
    ("GET", "/api/audit", None, expect(ad=200)),
    ("GET", "/api/lti/config", None, expect(ad=200)),
    ("GET", "/api/lti/platforms", None, expect(ad=200)),
    ("POST", "/api/lti/platforms", "lti_platform", expect(ad=201)),
    ("GET", "/api/lti/platforms/{lti_platform}", None, expect(ad=200)),
    ("PATCH", "/api/lti/platforms/{lti_platform}", "lti_rename", expect(ad=200)),
    ("DELETE", "/api/lti/platforms/{lti_platform}", None, expect(ad=204)),
    ("GET", "/api/lti/keys", None, expect(ad=200)),
    ("POST", "/api/lti/keys/rotate", None, expect(ad=200)),
    # a class no launch made has no LMS roster: 404 for its teacher too
    ("POST", "/api/lti/classes/{class}/roster-sync", None, expect(t=404, ot=404, ad=404)),
]


def _send(client: TestClient, world: World, role: str, method: str, path: str, kind: Any) -> int:
    url = path.format(**{k: world.ids[k] for k in ("class", "student", "lti_platform")})
    kwargs: dict[str, Any] = {"headers": world.headers[role]}
    if kind == "new_user":
        kwargs["json"] = {"username": f"made-by-{role}", "password": "long-enough-1"}
    elif kind == "new_class":
        kwargs["json"] = {"name": f"class-by-{role}"}
    elif kind == "enrol":
        kwargs["json"] = {"student_id": world.ids["other_student"], "attributes": {"ell": "yes"}}
    elif kind == "answer":
        kwargs["json"] = {"item_id": "eq2", "answer": "0.5", "idempotency_key": f"k-{role}"}
    elif kind == "item":
        kwargs["json"] = _item(role)
    elif kind == "edit":
        kwargs["json"] = {
            "skills": ["equiv"],
            "type": "numeric",
            "prompt": f"by {role}",
            "answer": {"value": 0.5},
        }
    elif kind == "csv":
        kwargs["files"] = {"file": ("bank.csv", ITEM_CSV, "text/csv")}
    elif kind == "fit":
        kwargs["json"] = {"restarts": 1}
    elif kind == "guardian_link":  # already linked in the world: 200 for who may see it
        kwargs["json"] = {"guardian_id": world.ids["guardian"], "student_id": world.ids["student"]}
    elif kind == "new_guardian":
        kwargs["json"] = {"username": f"family-by-{role}", "password": "long-enough-1",
                          "student_id": world.ids["student"]}  # fmt: skip
    elif kind == "settings":
        kwargs["json"] = {"locale": "es"}
    elif kind == "lti_platform":
        kwargs["json"] = LMS | {"client_id": f"client-{role}"}
    elif kind == "lti_rename":
        kwargs["json"] = {"name": f"renamed by {role}"}
    return client.request(method, url, **kwargs).status_code


@pytest.mark.parametrize(
    ("method", "path", "kind", "codes"), CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES]
)
def test_route_by_role(
    client: TestClient,
    world: World,
    runtime: Runtime,
    method: str,
    path: str,
    kind: Any,
    codes: dict[str, int],
) -> None:
    got = {role: _send(client, world, role, method, path, kind) for role in ROLES}
    for job in list(runtime.jobs.futures):
        runtime.jobs.wait(job, timeout=60)
    assert got == codes


def test_other_class_ids_are_404_for_teachers(client: TestClient, world: World) -> None:
    other = world.ids["other_class"]
    for suffix in ("", "/students", "/heatmap"):
        reply = client.get(f"/api/classes/{other}{suffix}", headers=world.headers["teacher"])
        assert reply.status_code == 404, suffix
        assert reply.json()["detail"] == f"no class {other}"
    missing = client.get("/api/classes/99999", headers=world.headers["teacher"])
    assert missing.json()["detail"] == "no class 99999"  # same answer: nothing revealed
