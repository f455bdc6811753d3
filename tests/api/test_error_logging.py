"""Unexpected errors: a JSON 500 with a request id, and a log line without personal data.

Every response carries an `X-Request-ID`; a 500's body repeats it, and the log line
for the failure names it with the exception's type, never the SQL parameters (here
a student's username) that a database error would otherwise print.
"""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.deps import SessionDep

NAME = "priya-secret-username"


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    @app.get("/api/test-failure")
    def fail(session: SessionDep) -> None:
        session.execute(text('SELECT no_such_column FROM "user" WHERE username = :u'), {"u": NAME})

    return app


def test_a_500_names_its_request_id_and_logs_no_parameters(
    failing_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(failing_app) as client:  # an exception escaping the app fails here
        reply = client.get("/api/test-failure?student=" + NAME)
    assert reply.status_code == 500
    rid = reply.headers["x-request-id"]
    assert reply.json() == {"detail": "internal server error", "request_id": rid}
    # what the server logged (the test client's own request log names the URL it sent)
    logged = "\n".join(
        caplog.handler.format(r) for r in caplog.records if not r.name.startswith("httpx")
    )
    assert rid in logged and "/api/test-failure" in logged
    assert "Error" in logged  # the exception's type (OperationalError, ProgrammingError)
    assert NAME not in logged


def test_every_response_has_a_request_id(client: TestClient) -> None:
    one = client.get("/api/health").headers["x-request-id"]
    two = client.get("/api/no-such-route").headers["x-request-id"]
    assert len(one) >= 16 and one != two
