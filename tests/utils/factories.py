"""Factories for users, classes, curriculum and answers (through the real services)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.services import classes, content_import, guardians, users
from engine.params import ModelParams, SkillParams
from models.classes import Classroom
from models.users import Role, User, UserCreate
from tests.utils.curriculum import SMALL_CURRICULUM

PASSWORD = "correct-horse-1"
_counter = itertools.count(1)


def make_user(
    session: Session,
    runtime: Runtime,
    role: Role,
    username: str | None = None,
    password: str = PASSWORD,
    full_name: str = "",
) -> User:
    name = username or f"{role.value}{next(_counter)}"
    return users.create_user(
        session,
        runtime,
        UserCreate(
            username=name, full_name=full_name or name.title(), role=role, password=password
        ),
    )


def make_class(
    session: Session,
    teacher: User | None = None,
    students: list[User] = (),  # type: ignore[assignment]
    name: str | None = None,
    attributes: dict[int, dict[str, str]] | None = None,
) -> Classroom:
    classroom = classes.create_class(session, name or f"class-{next(_counter)}")
    assert classroom.id is not None
    if teacher is not None:
        classes.add_teacher(session, classroom.id, teacher)
    for s in students:
        assert s.id is not None
        classes.enrol(session, classroom.id, s, (attributes or {}).get(s.id, {}))
    return classroom


def load_curriculum(session: Session, text: str = SMALL_CURRICULUM) -> dict[str, Any]:
    return content_import.import_text(session, text, "test.yaml")


def login_status(client: TestClient, username: str, password: str) -> int:
    """Status of one login attempt (every TestClient request comes from one address)."""
    data = {"username": username, "password": password}
    return client.post("/api/auth/token", data=data).status_code


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    reply = client.post("/api/auth/token", data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def answer(
    client: TestClient, headers: dict[str, str], item_id: str, text: str, key: str | None = None
) -> Any:
    body = {"item_id": item_id, "answer": text, "idempotency_key": key or f"k{next(_counter)}"}
    return client.post("/api/practice/answers", json=body, headers=headers)


def other_params(skills: tuple[str, ...] = ("equiv", "add", "mul")) -> ModelParams:
    """A parameter set unlike the defaults (with forgetting), for activation tests."""
    return ModelParams(
        skills={
            s: SkillParams(prior=0.1, learn=0.3, guess=0.25, slip=0.05, forget=0.02) for s in skills
        },
        forgets=True,
    )


def finished_fit(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    """Poll a fit job until it has finished (it runs in a thread on a file database)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/fits/{job_id}", headers=headers).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"fit job {job_id} did not finish")


def link_guardian(session: Session, guardian: User, student: User) -> None:
    """Let a guardian account follow a student (as a roster import or staff would)."""
    assert guardian.id is not None and student.id is not None
    guardians.link_guardian(session, guardian.id, student.id)
