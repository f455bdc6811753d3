"""Logging out and changing a password end the session everywhere, at once.

A session is a signed token (bearer header or page cookie). The server remembers
accepted tokens (`TokenVerifier`) and the answer path checks the account inside its
own transaction, so revocation has to live in the database: a second app on the
same database (another worker process) must refuse the old token too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.pages.session import SESSION_COOKIE
from api.pages.setup import install_pages
from api.runtime import Runtime
from api.services import users
from api.settings import Settings
from models.users import Role, UserUpdate
from tests.api.pages.conftest import csrf_of, sign_in
from tests.utils import factories as f
from tests.utils.db import app_on


@pytest.fixture
def other_worker(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A second app on the same database: its own runtime, its own remembered tokens."""
    application = app_on(settings, engine)
    with TestClient(application) as c:
        yield c
    application.state.runtime.jobs.shutdown()


def _use(client: TestClient, headers: dict[str, str]) -> list[int]:
    """Status of the account check, the answer hot path and the next-item route."""
    return [
        client.get("/api/me", headers=headers).status_code,
        f.answer(client, headers, "eq1", "2/4").status_code,
        client.get("/api/practice/next", headers=headers).status_code,
    ]


def test_logout_revokes_the_token_in_every_worker(
    client: TestClient, other_worker: TestClient, session: Session, runtime: Runtime
) -> None:
    f.make_user(session, runtime, Role.student, "sam")
    f.load_curriculum(session)
    headers = f.login(client, "sam")
    assert _use(client, headers) == [200] * 3  # both workers now remember the token
    assert _use(other_worker, headers) == [200] * 3
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert _use(client, headers) == [401] * 3
    assert _use(other_worker, headers) == [401] * 3
    reply = client.get("/api/me", headers=headers)
    assert "logged out" in reply.json()["detail"]
    assert _use(client, f.login(client, "sam")) == [200] * 3  # a new login works


def test_password_change_revokes_tokens_on_the_answer_path(
    client: TestClient, other_worker: TestClient, session: Session, runtime: Runtime
) -> None:
    user = f.make_user(session, runtime, Role.student, "sam")
    assert user.id is not None
    f.load_curriculum(session)
    headers = f.login(client, "sam")
    assert _use(other_worker, headers) == [200] * 3
    users.update_user(session, runtime, user.id, UserUpdate(password="another-password-2"))
    assert _use(other_worker, headers) == [401] * 3
    assert _use(client, headers) == [401] * 3


def test_page_logout_ends_the_cookie_session(
    app: FastAPI, other_worker: TestClient, session: Session, runtime: Runtime
) -> None:
    install_pages(app)
    f.make_user(session, runtime, Role.student, "sam")
    f.load_curriculum(session)
    with TestClient(app, follow_redirects=False) as browser:
        sign_in(browser, "sam")
        cookie = browser.cookies[SESSION_COOKIE]
        home = browser.get("/student")
        assert home.status_code == 200
        out = browser.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        # someone who copied the cookie before the logout cannot use it
        browser.cookies.set(SESSION_COOKIE, cookie)
        assert browser.get("/student").status_code == 303
        bearer = {"Authorization": f"Bearer {cookie}"}
        assert _use(other_worker, bearer) == [401] * 3
