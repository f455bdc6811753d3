"""The data directory and the SQLite files are the owner's alone (password hashes,
answers, students' IEP/EL attributes): 0700 and 0600, also when they already exist."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import make_engine, new_session, write_transaction
from api.settings import load_settings
from models.migrate import upgrade

SQLITE_FILES = ("pathways.db", "pathways.db-wal", "pathways.db-shm", "pathways.db-writer.lock")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _open_and_write(data: Path) -> None:
    settings = load_settings(data_dir=data, database_url=None, secret_key="k" * 40)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with new_session(engine) as session, write_transaction(session):  # the writer lock
            session.execute(text("UPDATE revision SET content = content"))
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM revision"))
            for name in SQLITE_FILES:  # checked while the WAL and shared memory exist
                assert (data / name).exists(), name
                assert _mode(data / name) == 0o600, (name, oct(_mode(data / name)))
    finally:
        engine.dispose()


def test_new_files_are_private(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    _open_and_write(data)
    assert _mode(data) == 0o700


def test_existing_files_are_made_private(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    _open_and_write(data)
    data.chmod(0o755)
    for name in SQLITE_FILES:
        path = data / name
        if path.exists():
            path.chmod(0o644)
    _open_and_write(data)
    assert _mode(data) == 0o700
