"""The throwaway PostgreSQL server and the rule "skip locally, fail in CI" when it is missing."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from benchmarks.pg_server import BINDIR_ENV, PostgresServer, PostgresUnavailable, find_bin_dir
from tests.utils.postgres import unavailable


def test_missing_binaries_are_reported_with_where_we_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(BINDIR_ENV, str(tmp_path))
    with pytest.raises(PostgresUnavailable, match=BINDIR_ENV):
        find_bin_dir()
    server = PostgresServer()
    with pytest.raises(PostgresUnavailable):
        server.start()
    assert server.root is None and server.process is None  # nothing created


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip"), ("false", "skip")])
def test_unavailable_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="PostgreSQL unavailable: no server here"):
        unavailable("no server here")


@pytest.mark.postgres
def test_server_starts_serves_and_cleans_up(postgres_server: PostgresServer) -> None:
    """A second cluster next to the session's: its own folder, gone after stop()."""
    server = PostgresServer(durable=False).start()
    root = server.root
    assert root is not None and root != postgres_server.root
    try:
        url = server.create_database("probe_db")
        assert url.startswith("postgresql+psycopg://") and "probe_db" in url
        with psycopg.connect(server.conninfo("probe_db")) as conn:
            row = conn.execute("SELECT current_database(), current_setting('fsync')").fetchone()
        assert row == ("probe_db", "off")
        with pytest.raises(ValueError, match="letters, digits"):
            server.create_database("bad; name")
    finally:
        server.stop()
    assert not root.exists()
    assert server.process is None
