"""Request bodies are limited per route before anything parses them (413, JSON).

The app is called as ASGI with a body fed in 64 KiB chunks, counting what the app
pulls: an oversized body must be refused having read (almost) none of it, whether
it declares its length or streams without one, and before authentication.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.runtime import Runtime
from api.settings import Settings
from models.users import Role
from tests.utils import factories as f
from tests.utils.db import make_test_settings
from tests.utils.live import run_async

CHUNK = 64 * 1024
MAX_BODY = 256 * 1024
MAX_IMPORT = 1024 * 1024


@pytest.fixture
def database_url() -> str:
    return "sqlite://"  # limits are about bytes on the wire, not the database


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_test_settings(
        tmp_path, database_url=database_url, max_body_bytes=MAX_BODY, max_import_bytes=MAX_IMPORT
    )


class Fed:
    """What the app pulled from a body of `total` bytes, and what it answered."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.read = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    async def receive(self) -> dict[str, Any]:
        if self.read >= self.total:
            await asyncio.sleep(3600)  # the client has nothing more to send
        size = min(CHUNK, self.total - self.read)
        self.read += size
        return {"type": "http.request", "body": b" " * size, "more_body": self.read < self.total}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def json(self) -> Any:
        return json.loads(self.body)


def _post(
    app: FastAPI,
    path: str,
    total: int,
    *,
    declare: bool = True,
    content_type: str = "application/json",
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> Fed:
    fed = Fed(total)
    raw = [(b"host", b"testserver"), (b"content-type", content_type.encode()), *headers]
    if declare:
        raw.append((b"content-length", str(total).encode()))
    else:
        raw.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }
    run_async(asyncio.wait_for(app(scope, fed.receive, fed.send), 60))
    return fed


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
def test_a_50_mib_answer_without_a_token_is_refused_unread(app: FastAPI, declare: bool) -> None:
    fed = _post(app, "/api/practice/answers", 50 * 1024 * 1024, declare=declare)
    assert fed.status == 413
    assert fed.headers["content-type"] == "application/json"
    assert "too large" in fed.json()["detail"]
    # declared: refused before reading; streamed: stopped within a chunk of the limit
    assert fed.read <= (0 if declare else 16 * 1024 + CHUNK)


def test_each_route_has_its_limit(app: FastAPI) -> None:
    multipart = "multipart/form-data; boundary=x"
    # content imports may be as large as the setting, not beyond
    assert _post(app, "/api/content/import", MAX_IMPORT, content_type=multipart).status != 413
    big = _post(app, "/api/content/import", MAX_IMPORT + 80 * 1024, content_type=multipart)
    assert big.status == 413 and big.read == 0
    page = _post(app, "/designer/import", MAX_IMPORT + 80 * 1024, content_type=multipart)
    assert page.status == 413
    # everything else: the modest default
    assert _post(app, "/api/items", MAX_BODY).status != 413
    assert _post(app, "/api/items", MAX_BODY + 1).status == 413
    assert _post(app, "/login", MAX_BODY + 1, content_type=multipart).status == 413
    # answers: a few KB
    assert _post(app, "/api/practice/answers", 17 * 1024).status == 413


def test_ordinary_requests_pass(client: TestClient, session: Session, runtime: Runtime) -> None:
    f.make_user(session, runtime, Role.student, "sam")
    f.load_curriculum(session)
    headers = f.login(client, "sam")
    assert f.answer(client, headers, "eq1", "2/4").status_code == 200
