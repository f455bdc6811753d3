"""One content import at a time on PostgreSQL, across nodes, and behind transaction pooling.

The lock is transaction-level, held by a transaction kept open for the import: a
session-level lock would stay behind on a pooled server connection (PgBouncer in
transaction mode) and outlive a killed node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from api.db import make_engine
from api.services.errors import Conflict
from api.services.import_lock import PG_IMPORT_LOCK, import_lock
from tests.utils.db import make_test_settings

pytestmark = pytest.mark.postgres

_HELD = text(
    "SELECT l.granted, a.state, a.xact_start IS NOT NULL FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.objid = :k"
)


@pytest.fixture
def two_engines(tmp_path: Path, fresh_postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    settings = make_test_settings(tmp_path, database_url=fresh_postgres_url)
    first, second = make_engine(settings), make_engine(settings)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


def _holders(engine: Engine) -> list[tuple[bool, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(_HELD, {"k": PG_IMPORT_LOCK}).all()
    return [(bool(g), str(s), bool(x)) for g, s, x in rows]


def test_a_second_node_is_refused_while_an_import_holds_the_lock(
    two_engines: tuple[Engine, Engine],
) -> None:
    first, second = two_engines
    with import_lock(first):
        # held by an open transaction (what keeps it on one pooled server connection)
        assert _holders(second) == [(True, "idle in transaction", True)]
        with pytest.raises(Conflict, match="another import is running"), import_lock(second):
            pass
    assert _holders(second) == []
    with import_lock(second):  # released with its transaction: the other node may import
        pass
    assert _holders(first) == []


def test_an_import_that_fails_releases_the_lock(two_engines: tuple[Engine, Engine]) -> None:
    first, second = two_engines
    with pytest.raises(RuntimeError), import_lock(first):
        raise RuntimeError("the import broke")
    assert _holders(second) == []
    with import_lock(second):
        pass
