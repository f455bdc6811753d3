"""The privacy routes: a student's export (JSON, CSV zip) and purge; the audit log."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT

REASON = "verified written request from the family"


def test_export_then_purge_through_the_api(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    admin_user = f.make_user(session, runtime, Role.admin)
    admin = f.login(client, admin_user.username)
    kid = f.make_user(session, runtime, Role.student, full_name="Kim Park")
    other = f.make_user(session, runtime, Role.student)
    f.make_class(session, f.make_user(session, runtime, Role.teacher), [kid, other])
    for student in (kid, other):
        headers = f.login(client, student.username)
        assert f.answer(client, headers, "eq1", RIGHT["eq1"]).json()["recorded"]

    exported = client.get(f"/api/privacy/students/{kid.id}/export", headers=admin)
    assert exported.status_code == 200
    body = exported.json()
    assert body["student"]["username"] == kid.username
    assert [r["item_id"] for r in body["tables"]["response_log"]] == ["eq1"]
    assert "attachment" in exported.headers["content-disposition"]
    as_csv = client.get(f"/api/privacy/students/{kid.id}/export?format=csv", headers=admin)
    assert as_csv.headers["content-type"] == "application/zip"
    assert "response_log.csv" in zipfile.ZipFile(io.BytesIO(as_csv.content)).namelist()

    refused = client.post(
        f"/api/privacy/students/{kid.id}/purge",
        json={"confirm_username": kid.username, "reason": "asked by Kim's mother"},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["reason"]
    short = client.post(
        f"/api/privacy/students/{kid.id}/purge",
        json={"confirm_username": kid.username, "reason": "asked"},
        headers=admin,
    )
    assert short.status_code == 422

    done = client.post(
        f"/api/privacy/students/{kid.id}/purge",
        json={"confirm_username": kid.username, "reason": REASON},
        headers=admin,
    )
    assert done.status_code == 200, done.text
    assert done.json()["deleted"]["response_log"] == 1
    assert client.get(f"/api/privacy/students/{kid.id}/export", headers=admin).status_code == 404
    history = client.get(f"/api/students/{other.id}/history", headers=admin).json()
    assert history["total"] == 1

    events = client.get("/api/audit", headers=admin).json()
    assert [e["action"] for e in events] == ["purge", "export", "export"]
    assert events[0]["reason"] == REASON and events[0]["actor_id"] == admin_user.id
    assert kid.username not in str(events) and "Kim" not in str(events)
