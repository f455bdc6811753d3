"""Database and app fixtures' building blocks (in-memory SQLite, or PostgreSQL on request).

Set PATHWAYS_TEST_POSTGRES_URL (e.g. postgresql://user@localhost/pathways_test) to run
the same tests against PostgreSQL: each test then starts from an empty `public` schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.db import make_engine, new_session
from api.deps import get_session
from api.main import create_app
from api.settings import Settings, load_settings
from models.migrate import alembic_config, upgrade

POSTGRES_ENV = "PATHWAYS_TEST_POSTGRES_URL"
TEST_SECRET = "test-secret-key-" + "x" * 32


def make_test_settings(data_dir: Path, **overrides: object) -> Settings:
    """Cheap argon2 and a fixed key; database from the environment (default in-memory)."""
    url = os.environ.get(POSTGRES_ENV) or "sqlite://"
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": url,
        "secret_key": TEST_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "db_pool_size": 5,
    }
    values.update(overrides)
    return load_settings(**values)


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("DROP FUNCTION IF EXISTS pathways_append_only() CASCADE"))


_template: Engine | None = None


def _copy_migrated_template(engine: Engine, settings: Settings) -> None:
    """Fill an in-memory database with a copy of one migrated once per process.

    Running the migrations costs ~0.1 s per test; SQLite's backup API copies the
    result (tables, indexes, triggers, the revision row) in well under a millisecond.
    """
    global _template
    if _template is None:
        _template = make_engine(settings)
        upgrade(_template)
    source = _template.raw_connection()
    target = engine.raw_connection()
    try:
        source.driver_connection.backup(target.driver_connection)  # type: ignore[union-attr]
    finally:
        source.close()
        target.close()


@contextmanager
def migrated_engine(settings: Settings) -> Iterator[Engine]:
    """An engine on an empty, migrated database; disposed afterwards."""
    engine = make_engine(settings)
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
        upgrade(engine)
    elif settings.sqlalchemy_url in ("sqlite://", "sqlite:///:memory:"):
        _copy_migrated_template(engine, settings)
    else:
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    """Alembic downgrade to `revision` on `engine` (the migration tests)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def app_on(settings: Settings, engine: Engine) -> FastAPI:
    """The app on the test engine, its session dependency overridden to use it (call
    `app.state.runtime.jobs.shutdown()` when done)."""
    application = create_app(settings, engine=engine, migrate=False)

    def override_session() -> Iterator[Session]:
        with new_session(engine) as s:
            yield s

    application.dependency_overrides[get_session] = override_session
    return application
