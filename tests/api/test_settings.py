"""Settings fail fast with the variable's name; the signing key is never a constant."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from api.settings import SettingsError, apply_process_settings, load_settings


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATHWAYS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "mysql://x/y")
    monkeypatch.setenv("PATHWAYS_TOKEN_TTL_MINUTES", "soon")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "DATABASE_URL: " in text and "mysql" in text
    assert "PATHWAYS_TOKEN_TTL_MINUTES: " in text


def test_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAYS_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match=r"PATHWAYS_SECRET_KEY: .*32 characters"):
        load_settings()


def test_database_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    local = load_settings(data_dir=tmp_path)
    assert local.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'pathways.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/pw")
    assert load_settings().sqlalchemy_url == "postgresql+psycopg://u:p@db:5432/pw"


def test_generated_secret_is_private_and_stable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)
    settings = load_settings(data_dir=tmp_path / "data")
    key = settings.signing_key()
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32 and key == settings.signing_key()
    assert load_settings(data_dir=tmp_path / "other").signing_key() != key


def test_given_secret_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATHWAYS_SECRET_KEY", "k" * 40)
    assert load_settings(data_dir=tmp_path).signing_key() == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_practice_threads_default_per_database(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).practice_thread_count == 2  # SQLite: one writer
    pg = load_settings(data_dir=tmp_path, database_url="postgresql://u@h/db")
    assert pg.practice_thread_count == 8
    assert load_settings(data_dir=tmp_path, practice_threads=5).practice_thread_count == 5


def test_process_settings_are_checked_and_applied(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATHWAYS_GIL_SWITCH_INTERVAL_MS", "0")
    with pytest.raises(SettingsError, match="PATHWAYS_GIL_SWITCH_INTERVAL_MS"):
        load_settings()
    before = sys.getswitchinterval()
    try:
        apply_process_settings(load_settings(data_dir=tmp_path, gil_switch_interval_ms=2.0))
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)
