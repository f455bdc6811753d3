"""pytest plugin: a real PostgreSQL server for the session, and the database backend parameter.

- `postgres_server`: a throwaway cluster (benchmarks.pg_server) started on first use
  and stopped at the end of the session (one per xdist worker).
- `postgres_url`: PATHWAYS_TEST_POSTGRES_URL when set (an external server), else a
  database on `postgres_server`.
- `fresh_postgres_url`: an empty database of its own for one test.
- `database_url`: parametrized over the backends ("sqlite" in memory, "postgres"); the
  service's test settings take it, so every API test runs against both. The postgres
  variant carries the `postgres` mark (`-m "not postgres"` runs SQLite only).

Without PostgreSQL the postgres variants are skipped, saying why, except in CI
(CI=true), where a missing server is a failure: CI installs it
(scripts/install-system-deps.sh), so its absence means the set-up broke.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.pg_server import PostgresServer, PostgresUnavailable
from tests.utils.db import POSTGRES_ENV

BACKENDS = (
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
)
_databases = itertools.count(1)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where PostgreSQL is part of the set-up."""
    message = f"PostgreSQL unavailable: {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: postgres tests must run, not skip)", pytrace=False)
    pytest.skip(message + f"; install postgresql or set {POSTGRES_ENV}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway cluster for this test session (fsync off: nothing here must survive)."""
    server = PostgresServer(durable=False)
    try:
        server.start()
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The session's PostgreSQL database (external one from the environment if set)."""
    external = os.environ.get(POSTGRES_ENV)
    if external:
        return external
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("pathways_test")


@pytest.fixture
def fresh_postgres_url(request: pytest.FixtureRequest) -> str:
    """An empty database for one test: a new database, or the external one emptied."""
    external = os.environ.get(POSTGRES_ENV)
    if external:
        _empty_public_schema(external)
        return external
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"pathways_t{next(_databases)}")


def _empty_public_schema(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("DROP FUNCTION IF EXISTS pathways_append_only() CASCADE"))
    except Exception as exc:  # an external server we cannot reach
        unavailable(f"{POSTGRES_ENV}={url!r}: {exc}")
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The database the service test runs on: in-memory SQLite, or the session's PostgreSQL."""
    if request.param == "sqlite":
        return "sqlite://"
    return str(request.getfixturevalue("postgres_url"))
