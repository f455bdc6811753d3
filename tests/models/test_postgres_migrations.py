"""The Alembic migrations on a real PostgreSQL server: up, down, up again, and no drift.

SQLite gets the same migrations in every API test; these are the PostgreSQL-only
facts: JSONB columns and partial indexes match the models, the append-only triggers
are PL/pgSQL, and concurrent start-ups serialise on an advisory lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from models.migrate import alembic_config, upgrade
from tests.utils.db import downgrade

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_postgres_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_upgrade_head_creates_every_model_table(pg_engine: Engine) -> None:
    upgrade(pg_engine)
    assert _current(pg_engine) == _head()
    assert _tables(pg_engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    with pg_engine.connect() as conn:
        revision = conn.execute(text("SELECT id, content, params FROM revision")).all()
    assert [tuple(r) for r in revision] == [(1, 0, 0)]


def test_migrated_schema_matches_the_models(pg_engine: Engine) -> None:
    """Autogenerate finds nothing to do: the migrations and the models agree."""
    upgrade(pg_engine)
    with pg_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    assert diffs == []


def _log_one_answer(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (id, username, full_name, role, password_hash, is_active, '
                "created_at) VALUES (1, 'ann', 'Ann', 'student', 'x', true, now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO item (id, kind, position, retired, definition, created_at, "
                "updated_at) VALUES ('i1', 'numeric', 0, false, '{}', now(), now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO response_log (student_id, item_id, raw_answer, correct, skills, "
                "attempt, idempotency_key, created_at) "
                "VALUES (1, 'i1', '2', true, '[\"s\"]', 1, 'k1', now())"
            )
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE response_log SET correct = false",
        "DELETE FROM response_log",
        "TRUNCATE response_log CASCADE",
    ],
)
def test_the_log_is_append_only(pg_engine: Engine, statement: str) -> None:
    upgrade(pg_engine)
    _log_one_answer(pg_engine)
    with pytest.raises(DBAPIError, match="append-only"), pg_engine.begin() as conn:
        conn.execute(text(statement))
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), bool_and(correct) FROM response_log")).one() == (
            1,
            True,
        )


def test_downgrade_base_removes_everything_and_upgrade_works_again(pg_engine: Engine) -> None:
    upgrade(pg_engine)
    _log_one_answer(pg_engine)
    # Dropping the tables discards the log: only allowed by going all the way down.
    downgrade(pg_engine, "base")
    assert _tables(pg_engine) <= {"alembic_version"}
    assert _current(pg_engine) is None
    with pg_engine.connect() as conn:
        functions = conn.execute(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'pathways_append_only'")
        ).scalar_one()
    assert functions == 0
    upgrade(pg_engine)
    assert _current(pg_engine) == _head()
    assert _tables(pg_engine) == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_each_step_down_and_up(pg_engine: Engine) -> None:
    """Walk the chain one revision at a time in both directions."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    for rev in revisions:
        upgrade(pg_engine, rev)
        assert _current(pg_engine) == rev
    for rev in reversed(revisions):
        downgrade(pg_engine, "-1")
        assert _current(pg_engine) == script.get_revision(rev).down_revision
    assert _tables(pg_engine) <= {"alembic_version"}


def test_concurrent_start_ups_migrate_once(pg_engine: Engine) -> None:
    """Workers starting together: the advisory lock makes the second one a no-op."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait(timeout=30)
            upgrade(pg_engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    assert _current(pg_engine) == _head()
    with pg_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM revision")).scalar_one() == 1
