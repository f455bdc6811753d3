"""Property-based API testing with Schemathesis over the app's own OpenAPI schema.

Every operation gets generated requests (valid and invalid bodies, queries and path
ids) sent as each role in turn - student, teacher, designer, admin - against a small
seeded database, on SQLite and on PostgreSQL. Checks: no 5xx (`not_a_server_error`),
every reply's body - errors (400 ... 503) as well as successes - matches the schema
documented for its status (`response_schema_conformance`) and carries the documented
content type. Bounded: MAX_EXAMPLES per operation and role, no deadline.

Generated requests may deactivate or re-password the very accounts we test as; the
four accounts are restored before every call, so each role keeps being exercised.
Fits started by POST /api/fits are recorded but not run (a background job cannot
answer 5xx; fitting has its own tests), which keeps the run short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import update
from sqlmodel import Session, select

from api.db import write_transaction
from api.runtime import Runtime
from api.services import fits, params
from engine.params import ModelParams, SkillParams
from models.classes import Classroom
from models.fit_jobs import FitOptions
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT

MAX_EXAMPLES = 20
ROLES = (Role.student, Role.teacher, Role.designer, Role.admin)


# Every reply, errors included, must match what the schema documents for its status
# (every route documents its error replies, api.error_responses).
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

pytestmark = pytest.mark.slow


class _NoFits:
    """Stands in for the job runner: accepts fit jobs and leaves them queued."""

    def __init__(self) -> None:
        self.futures: dict[int, Any] = {}
        self.submitted: list[int] = []

    def submit_fit(self, job_id: int) -> None:
        self.submitted.append(job_id)

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        return None

    def shutdown(self) -> None:
        return None


@pytest.fixture(params=ROLES, ids=[r.value for r in ROLES])
def role(request: pytest.FixtureRequest) -> Role:
    return Role(request.param)


@pytest.fixture
def accounts(
    client: TestClient, session: Session, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[Role, User]]:
    """A class with its teacher and two students who answered; a designer and an admin."""
    monkeypatch.setattr(runtime, "jobs", _NoFits())
    f.load_curriculum(session)
    users = {r: f.make_user(session, runtime, r) for r in ROLES}
    classmate = f.make_user(session, runtime, Role.student)
    f.make_class(session, users[Role.teacher], [users[Role.student], classmate])
    for user in (users[Role.student], classmate):
        headers = f.login(client, user.username)
        for item in ("eq1", "ad3", "mu3"):
            assert f.answer(client, headers, item, RIGHT[item]).status_code == 200
    session.expunge_all()
    yield users


def _known_ids(session: Session, users: dict[Role, User]) -> dict[str, Any]:
    """Ids of records that exist, per path parameter name."""
    with write_transaction(session):
        pset = params.store_param_set(
            session,
            ModelParams(skills={"add": SkillParams(prior=0.2, learn=0.2, guess=0.2, slip=0.1)}),
            source="upload",
        )
    job = fits.create_fit_job(session, users[Role.designer], FitOptions())
    class_id = session.exec(select(Classroom.id)).first()
    return {
        "student_id": users[Role.student].id,
        "user_id": users[Role.student].id,
        "teacher_id": users[Role.teacher].id,
        "class_id": class_id,
        "item_id": "eq1",
        "param_set_id": pset.id,
        "job_id": job.id,
    }


def _restore(session: Session, users: dict[Role, User]) -> None:
    """Undo what generated PATCH /api/users calls may have done to our accounts."""
    with write_transaction(session):
        for user in users.values():
            session.execute(
                update(User)
                .where(User.id == user.id)  # type: ignore[arg-type]
                .values(is_active=True, password_hash=user.password_hash, role=user.role)
            )


def _strategy(operation: Any, known: dict[str, Any]) -> Any:
    """Valid and invalid requests; plus valid ones aimed at records that exist."""
    options = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    if names and all(n in known for n in names):
        fixed = {n: known[n] for n in names}
        options.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    return st.one_of(options)


def test_no_server_errors_for_any_role(
    app: FastAPI,
    client: TestClient,
    session: Session,
    accounts: dict[Role, User],
    role: Role,
) -> None:
    headers = f.login(client, accounts[role].username)
    known = _known_ids(session, accounts)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"invalid schema: {result.err()}")
            continue
        operation = result.ok()
        if not operation.path.startswith("/api/"):
            continue
        operations += 1

        @given(case=_strategy(operation, known))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            _restore(session, accounts)
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label} as {role.value}:\n{exc}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
