"""Environment for CLI tests of the service commands: a private data dir, cheap hashing."""

from __future__ import annotations

from pathlib import Path

import pytest


def use_data_dir(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    """Point the service at `data_dir` (SQLite there) with test-cheap argon2."""
    monkeypatch.setenv("PATHWAYS_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    monkeypatch.setenv("PATHWAYS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("PATHWAYS_ARGON2_MEMORY_KIB", "64")
    return data_dir
