"""Page-route fixtures: the real app (with the pages installed) on in-memory SQLite,
the sample-sized test curriculum, one class with a teacher, students and a designer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.pages.setup import install_pages
from api.runtime import Runtime
from models.classes import Classroom
from models.users import Role, User
from tests.utils.factories import PASSWORD, load_curriculum, make_class, make_user

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
def database_url() -> str:
    """Page tests exercise rendering, not the database: SQLite only."""
    return "sqlite://"


def _with_pages(app: FastAPI) -> FastAPI:
    install_pages(app)  # a no-op when create_app already installed them
    return app


@dataclass
class World:
    app: FastAPI
    runtime: Runtime
    session: Session
    teacher: User
    designer: User
    students: list[User]
    classroom: Classroom


@pytest.fixture
def world(app: FastAPI, runtime: Runtime, session: Session) -> World:
    _with_pages(app)
    load_curriculum(session)
    teacher = make_user(session, runtime, Role.teacher, "teach", full_name="Ms Teach")
    designer = make_user(session, runtime, Role.designer, "design", full_name="Dee Signer")
    kids = [
        make_user(session, runtime, Role.student, "ana", full_name="Ana Alvarez"),
        make_user(session, runtime, Role.student, "ben", full_name="Ben Brook"),
    ]
    assert kids[0].id is not None and kids[1].id is not None
    classroom = make_class(
        session,
        teacher,
        kids,
        name="Year 5 Maple",
        attributes={kids[0].id: {"ell": "yes"}, kids[1].id: {"ell": "no"}},
    )
    return World(app, runtime, session, teacher, designer, kids, classroom)


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    """A cookie-keeping client that does not follow redirects (tests look at them)."""
    with TestClient(world.app, follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    reply = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert reply.status_code == 303, reply.text
