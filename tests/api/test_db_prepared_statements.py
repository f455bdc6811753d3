"""PATHWAYS_DB_PREPARED_STATEMENTS=false: psycopg never prepares (PgBouncer < 1.21 in
transaction mode hands each transaction any server connection, where a statement
prepared on another is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.db import make_engine
from tests.utils.db import make_test_settings

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("prepared", "threshold"), [(True, 5), (False, None)])
def test_the_setting_reaches_every_psycopg_connection(
    tmp_path: Path, postgres_url: str, prepared: bool, threshold: int | None
) -> None:
    settings = make_test_settings(
        tmp_path, database_url=postgres_url, db_prepared_statements=prepared
    )
    engine = make_engine(settings)
    try:
        raw = engine.raw_connection()
        try:
            assert raw.driver_connection.prepare_threshold == threshold  # type: ignore[union-attr]
            cur = raw.cursor()
            for _ in range(8):  # past psycopg's default threshold of 5
                cur.execute("SELECT 1 WHERE %s = 1", (1,))
            cur.execute("SELECT count(*) FROM pg_prepared_statements")
            row = cur.fetchone()
            assert row is not None and (row[0] > 0) == prepared
        finally:
            raw.close()
    finally:
        engine.dispose()
