"""POST /api/roster/imports: dry run (200), import (201), refusal (422), the stored reports."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role
from tests.utils import factories as f
from tests.utils.roster import small_school


def _upload(
    client: TestClient, headers: dict[str, str], data: bytes, dry_run: bool = False
) -> httpx.Response:
    return client.post(
        "/api/roster/imports",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("oneroster.zip", data, "application/zip")},
        headers=headers,
    )


def test_dry_run_then_import_then_reimport(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    admin = f.login(client, f.make_user(session, runtime, Role.admin).username)
    dry = _upload(client, admin, small_school().zip(), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["outcome"] == "dry_run" and dry.json()["summary"]["changes"] == 14
    assert client.get("/api/users?role=student", headers=admin).json() == []
    done = _upload(client, admin, small_school().zip())
    assert done.status_code == 201, done.text
    assert done.json()["changes"] == dry.json()["changes"]
    students = client.get("/api/users?role=student", headers=admin).json()
    assert sorted(s["username"] for s in students) == ["amy.lee", "ben.ortiz", "cal.nguyen"]
    again = _upload(client, admin, small_school().zip())
    assert again.status_code == 201 and again.json()["summary"]["changes"] == 0
    listed = client.get("/api/roster/imports", headers=admin)
    assert [r["outcome"] for r in listed.json()] == ["applied", "applied", "dry_run"]
    assert listed.headers["X-Total-Count"] == "3"
    one = client.get(f"/api/roster/imports/{done.json()['id']}", headers=admin).json()
    assert one == done.json()
    assert client.get("/api/roster/imports/999", headers=admin).status_code == 404
    events = client.get("/api/audit?action=roster_import", headers=admin).json()
    assert [e["details"]["import_id"] for e in events] == [again.json()["id"], done.json()["id"]]


def test_a_broken_roster_is_422_with_every_problem_and_changes_nothing(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    admin = f.login(client, f.make_user(session, runtime, Role.admin).username)
    roster = small_school()
    roster.users[0] |= {"enabledUser": "maybe"}
    roster.classes[1] |= {"title": ""}
    reply = _upload(client, admin, roster.zip())
    assert reply.status_code == 422
    body = reply.json()
    assert [e["msg"] for e in body["errors"]] == [
        "users.csv row 2, column enabledUser: 'maybe' is not true or false",
        "classes.csv row 3, column title: must not be empty",
    ]
    assert body["detail"].startswith("rejected, nothing stored (2 problems)")
    stored = client.get(f"/api/roster/imports/{body['report']['import_id']}", headers=admin)
    assert stored.json()["outcome"] == "refused" and len(stored.json()["problems"]) == 2
    assert client.get("/api/users?role=student", headers=admin).json() == []
    not_zip = _upload(client, admin, b"sourcedId,status\n")
    assert not_zip.status_code == 422 and "oneroster.zip: not a zip archive" in not_zip.text
