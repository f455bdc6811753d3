"""The failed-login rule for a classroom behind one address (a school NAT).

Every TestClient request comes from one address, as a class behind a NAT does. The
per-address limit here is 10 failures (a stand-in for the default 100) so a prank
can pass it quickly; what must hold:

- one student's typos lock only that student's account, and their teacher can clear
  the lock (API and the student's page);
- past the address limit, students who have logged in from the address before still
  get in (API and login page), and anyone else waits a short backoff, not the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.pages.setup import install_pages
from api.runtime import Runtime
from api.settings import Settings
from models.users import Role
from tests.api.pages.conftest import csrf_of, sign_in
from tests.utils import factories as f
from tests.utils.db import make_test_settings

PER_IP = 10
IP_WINDOW = 60


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_test_settings(
        tmp_path,
        database_url=database_url,
        login_max_failures_per_ip=PER_IP,
        login_ip_window_seconds=IP_WINDOW,
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """Redirects are not followed: the login page answers 303 on success."""
    install_pages(app)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_a_prank_past_the_address_limit_does_not_lock_out_the_class(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    for name in ("amy", "ben", "cara"):
        f.make_user(session, runtime, Role.student, name)
    f.login(client, "amy")  # yesterday's lesson: amy and ben logged in from school
    f.login(client, "ben")
    client.cookies.clear()
    pranks = [f.login_status(client, f"made-up-{n}", "bad-password") for n in range(30)]
    assert pranks == [401] * PER_IP + [429] * (30 - PER_IP)
    assert f.login_status(client, "amy", f.PASSWORD) == 200  # through the API
    sign_in(client, "ben")  # through the login page (303 to the student's home)
    client.cookies.clear()
    # cara has never logged in from here: she waits a short backoff, not the window
    blocked = client.post("/api/auth/token", data={"username": "cara", "password": f.PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= IP_WINDOW
    assert "your address" in blocked.json()["detail"]


def test_one_students_typos_lock_only_them_until_the_teacher_clears_it(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    teacher = f.make_user(session, runtime, Role.teacher, "tess")
    other_teacher = f.make_user(session, runtime, Role.teacher, "otto")
    amy = f.make_user(session, runtime, Role.student, "amy")
    ben = f.make_user(session, runtime, Role.student, "ben")
    f.make_class(session, teacher, [amy, ben])
    f.make_class(session, other_teacher, [])
    assert [f.login_status(client, "amy", "typo-typo") for _ in range(5)] == [401] * 5
    assert f.login_status(client, "amy", f.PASSWORD) == 429
    assert f.login_status(client, "ben", f.PASSWORD) == 200
    url = f"/api/students/{amy.id}/login-lock"
    assert client.get(url, headers=f.login(client, "tess")).json()["locked"] is True
    assert client.delete(url, headers=f.login(client, "otto")).status_code == 404
    assert client.delete(url, headers=f.login(client, "ben")).status_code == 403
    assert client.delete(url, headers=f.login(client, "tess")).status_code == 204
    assert client.get(url, headers=f.login(client, "tess")).json() == {
        "locked": False,
        "failures": 0,
        "retry_after": 0,
    }
    assert f.login_status(client, "amy", f.PASSWORD) == 200


def test_the_teacher_clears_a_lock_from_the_students_page(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    teacher = f.make_user(session, runtime, Role.teacher, "tess")
    amy = f.make_user(session, runtime, Role.student, "amy", full_name="Amy Adams")
    classroom = f.make_class(session, teacher, [amy])
    for _ in range(5):
        f.login_status(client, "amy", "typo-typo")
    sign_in(client, "tess")
    page = client.get(f"/teacher/classes/{classroom.id}/students/{amy.id}")
    assert page.status_code == 200 and "locked out" in page.text
    reply = client.post(
        f"/teacher/classes/{classroom.id}/students/{amy.id}/unlock",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert reply.status_code == 303
    page = client.get(reply.headers["location"])
    assert "locked out" not in page.text and "can log in again" in page.text
    client.cookies.clear()
    assert f.login_status(client, "amy", f.PASSWORD) == 200
