"""Migration 0003 (sessions and known login addresses) on SQLite and PostgreSQL:
existing accounts keep working (generation 0), and it goes down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from models.migrate import upgrade
from tests.utils.db import downgrade


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        url = str(request.getfixturevalue("fresh_postgres_url"))
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    yield engine
    engine.dispose()


def test_0003_adds_the_generation_and_known_addresses(db: Engine) -> None:
    upgrade(db, "0002")
    with db.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (id, username, full_name, role, password_hash, is_active, '
                "created_at) VALUES (1, 'ann', 'Ann', 'student', 'x', true, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(db, "0003")
    with db.connect() as conn:
        assert conn.execute(text('SELECT token_generation FROM "user"')).scalar_one() == 0
    assert "login_address" in inspect(db).get_table_names()
    downgrade(db, "0002")
    columns = {c["name"] for c in inspect(db).get_columns("user")}
    assert "token_generation" not in columns
    assert "login_address" not in inspect(db).get_table_names()
    with db.connect() as conn:
        assert conn.execute(text('SELECT username FROM "user"')).scalar_one() == "ann"
    upgrade(db)
    with db.connect() as conn:
        assert conn.execute(text('SELECT token_generation FROM "user"')).scalar_one() == 0
