"""A migrated, empty database per test (in-memory SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.utils.db import make_test_settings, migrated_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(make_test_settings(tmp_path)) as eng:
        yield eng
