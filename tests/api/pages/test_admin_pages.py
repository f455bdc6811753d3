"""The admin console's pages: who may see them, the roster dry run then apply, purge,
password resets and deactivation, each recorded in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from models.audit import AuditEvent
from models.users import Role, User
from tests.api.pages.conftest import World, csrf_of, sign_in
from tests.utils.factories import make_user
from tests.utils.roster import small_school

PAGES = ("/admin", "/admin/users", "/admin/roster", "/admin/audit")


def _admin(world: World, browser: TestClient) -> User:
    admin = make_user(world.session, world.runtime, Role.admin, "root", full_name="Ada Admin")
    sign_in(browser, "root")
    return admin


def test_only_admins_see_the_console(world: World, browser: TestClient) -> None:
    assert browser.get("/admin").status_code == 303  # to the login page
    sign_in(browser, "teach")
    for path in PAGES:
        assert browser.get(path).status_code == 403, path


def test_every_console_page_renders_with_its_menu(world: World, browser: TestClient) -> None:
    _admin(world, browser)
    for path in PAGES:
        page = browser.get(path)
        assert page.status_code == 200, path
        assert 'aria-label="Admin console"' in page.text and 'aria-current="page"' in page.text
    assert "Year 5 Maple" in browser.get("/admin").text
    found = browser.get("/admin/users?q=alv").text
    assert "ana" in found and "ben" not in found


def test_roster_upload_is_a_dry_run_until_applied(world: World, browser: TestClient) -> None:
    _admin(world, browser)
    page = browser.get("/admin/roster")
    sent = browser.post(
        "/admin/roster",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("oneroster.zip", small_school().zip(), "application/zip")},
    )
    assert sent.status_code == 303
    report = browser.get(sent.headers["location"])
    assert "Dry run: nothing has changed yet" in report.text and 'id="apply"' in report.text
    assert "amy.lee" in report.text
    assert world.session.exec(select(User).where(User.username == "amy.lee")).first() is None
    world.session.commit()  # end the read: the in-memory database has one connection
    applied = browser.post(
        sent.headers["location"] + "/apply", data={"csrf_token": csrf_of(report.text)}
    )
    assert applied.status_code == 303
    done = browser.get(applied.headers["location"])
    assert "Imported" in done.text and "Changed 14 records" in done.text
    world.session.commit()
    assert world.session.exec(select(User).where(User.username == "amy.lee")).first() is not None
    world.session.commit()
    again = browser.post(
        sent.headers["location"] + "/apply", data={"csrf_token": csrf_of(report.text)}
    )
    assert again.status_code == 409  # the upload was applied once and is gone


def test_a_broken_roster_shows_every_problem(world: World, browser: TestClient) -> None:
    _admin(world, browser)
    roster = small_school()
    roster.users[0] |= {"role": "wizard"}
    page = browser.get("/admin/roster")
    sent = browser.post(
        "/admin/roster",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("oneroster.zip", roster.zip(), "application/zip")},
    )
    report = browser.get(sent.headers["location"])
    assert report.status_code == 422
    assert "Nothing was imported: 1 problem" in report.text and "wizard" in report.text
    assert 'id="apply"' not in report.text
    empty = browser.post("/admin/roster", data={"csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422 and "Choose a OneRoster .zip file first." in empty.text


def test_purge_page_needs_the_typed_username_and_a_reason(
    world: World, browser: TestClient
) -> None:
    admin = _admin(world, browser)
    ana = world.students[0]
    form = browser.get(f"/admin/users/{ana.id}/purge")
    assert form.status_code == 200
    token = csrf_of(form.text)
    wrong = browser.post(
        f"/admin/users/{ana.id}/purge",
        data={"csrf_token": token, "confirm_username": "ben", "reason": "family asked in writing"},
    )
    assert wrong.status_code == 422 and "username exactly" in wrong.text
    named = browser.post(
        f"/admin/users/{ana.id}/purge",
        data={"csrf_token": token, "confirm_username": "ana", "reason": "Ana Alvarez left school"},
    )
    assert named.status_code == 422 and "must not name the student" in named.text
    done = browser.post(
        f"/admin/users/{ana.id}/purge",
        data={"csrf_token": token, "confirm_username": "ana", "reason": "family asked in writing"},
    )
    assert done.status_code == 303
    audit = browser.get(done.headers["location"])
    assert "The student was purged" in audit.text and "family asked in writing" in audit.text
    assert "Alvarez" not in audit.text
    assert browser.get(f"/admin/users/{ana.id}").status_code == 404
    teacher_purge = browser.get(f"/admin/users/{world.teacher.id}/purge")
    assert teacher_purge.status_code == 404
    world.session.commit()
    events = world.session.exec(select(AuditEvent)).all()
    assert [(e.action, e.actor_id) for e in events] == [("purge", admin.id)]


def test_password_reset_and_deactivation_are_audited(world: World, browser: TestClient) -> None:
    admin = _admin(world, browser)
    ben = world.students[1]
    page = browser.get(f"/admin/users/{ben.id}")
    token = csrf_of(page.text)
    short = browser.post(
        f"/admin/users/{ben.id}/password", data={"csrf_token": token, "password": "short"}
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text
    reset = browser.post(
        f"/admin/users/{ben.id}/password",
        data={"csrf_token": token, "password": "a-new-password-9"},
    )
    assert reset.status_code == 303
    assert "The new password is set" in browser.get(reset.headers["location"]).text
    off = browser.post(
        f"/admin/users/{ben.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert off.status_code == 303
    assert 'id="status">deactivated' in browser.get(off.headers["location"]).text
    myself = browser.post(
        f"/admin/users/{admin.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert myself.status_code == 422
    world.session.commit()
    actions = [e.action for e in world.session.exec(select(AuditEvent)).all()]
    assert actions == ["password_reset", "deactivate"]
    world.session.commit()
    exported = browser.get(f"/admin/users/{ben.id}/export.json")
    assert exported.status_code == 200 and exported.json()["student"]["username"] == "ben"
