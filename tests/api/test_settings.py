"""Settings fail fast with the variable's name; the signing key is never a constant."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from api.settings import SettingsError, load_settings


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
