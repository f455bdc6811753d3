"""Security headers on every response: a strict CSP, framing, sniffing, referrer, HSTS.

(What the pages' markup must be for the CSP to hold is checked in
tests/api/pages/test_csp_markup.py and, enforced by a browser, in tests/browser.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.pages.setup import install_pages
from api.settings import Settings
from tests.utils.db import make_test_settings


@pytest.fixture
def database_url() -> str:
    return "sqlite://"


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


PATHS = ["/login", "/api/health", "/api/me", "/static/css/app.css", "/no/such/page"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers(app: FastAPI, client: TestClient, path: str) -> None:
    install_pages(app)
    reply = client.get(path, follow_redirects=False)
    csp = _directives(reply.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no eval
    assert csp["style-src"] == ["'self'"]  # no inline styles either
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in reply.headers  # plain HTTP: no HSTS


def test_hsts_only_over_https(app: FastAPI) -> None:
    install_pages(app)
    with TestClient(app, base_url="https://testserver") as secure:
        reply = secure.get("/login")
    assert reply.headers["strict-transport-security"] == "max-age=31536000"


def test_frame_ancestors_is_a_setting_for_the_schools_lms(tmp_path: Path, engine: Engine) -> None:
    settings: Settings = make_test_settings(
        tmp_path, database_url="sqlite://", frame_ancestors="https://lms.example.edu"
    )
    app = create_app(settings, engine=engine, migrate=False)
    with TestClient(app) as client:
        reply = client.get("/login")
    app.state.runtime.jobs.shutdown()
    assert _directives(reply.headers["content-security-policy"])["frame-ancestors"] == [
        "https://lms.example.edu"
    ]
    assert "x-frame-options" not in reply.headers  # it cannot name another site


def test_a_bad_frame_ancestors_value_stops_start_up(tmp_path: Path) -> None:
    from api.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="PATHWAYS_FRAME_ANCESTORS"):
        load_settings(data_dir=tmp_path, frame_ancestors="'self'; script-src *")


def test_the_api_docs_page_gets_what_it_needs(app: FastAPI, client: TestClient) -> None:
    csp = _directives(client.get("/docs").headers["content-security-policy"])
    assert "https://cdn.jsdelivr.net" in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert _directives(client.get("/login").headers["content-security-policy"])["script-src"] == [
        "'self'"
    ]
