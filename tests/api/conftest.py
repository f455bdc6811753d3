"""App, client and database fixtures for the service tests (see tests/utils/db.py).

The app gets the test engine (StaticPool in-memory SQLite unless
PATHWAYS_TEST_POSTGRES_URL is set) and its session dependency is overridden to use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.db import new_session
from api.runtime import Runtime
from api.settings import Settings
from tests.utils.db import app_on, make_test_settings, migrated_engine


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # database_url: parametrized over SQLite and PostgreSQL (tests/utils/postgres.py)
    return make_test_settings(tmp_path, database_url=database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    with migrated_engine(settings) as eng:
        yield eng


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = app_on(settings, engine)
    yield application
    application.state.runtime.jobs.shutdown()


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with new_session(engine) as s:
        yield s


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
