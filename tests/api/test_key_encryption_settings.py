"""PATHWAYS_KEY_ENCRYPTION_KEY: checked at start-up, never echoed, else a 0600 file made once
in the data directory; a key of its own, apart from the token signing secret."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from api.settings import SettingsError, load_settings

# fixed, not drawn: pytest-xdist workers must collect the same parametrized ids
KEK = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def _no_keys_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHWAYS_KEY_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("PATHWAYS_SECRET_KEY", raising=False)


@pytest.mark.parametrize(
    "bad",
    ["short", "k" * 44, "x" * 64, KEK[:-2] + "!!"],
    ids=["short", "44-not-base64", "too-long", "one-bad-character"],
)
def test_a_bad_kek_setting_stops_start_up_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: str
) -> None:
    monkeypatch.setenv("PATHWAYS_KEY_ENCRYPTION_KEY", bad)
    with pytest.raises(SettingsError) as err:
        load_settings(data_dir=tmp_path)
    message = str(err.value)
    assert "PATHWAYS_KEY_ENCRYPTION_KEY: " in message and "not a Fernet key" in message
    assert "Fernet.generate_key()" in message  # how to make a good one
    assert bad not in message


def test_a_given_kek_wins_and_makes_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATHWAYS_KEY_ENCRYPTION_KEY", f" {KEK}\n")
    settings = load_settings(data_dir=tmp_path)
    assert settings.sealing_key() == KEK
    assert KEK not in repr(settings)  # a SecretStr
    assert not (tmp_path / "key_encryption_key").exists()
    assert load_settings(data_dir=tmp_path, key_encryption_key="").key_encryption_key is None


def test_a_generated_kek_is_private_stable_and_a_fernet_key(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    kek = settings.sealing_key()
    path = tmp_path / "data" / "key_encryption_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(kek)  # a valid key
    assert kek == settings.sealing_key() == load_settings(data_dir=tmp_path / "data").sealing_key()
    assert load_settings(data_dir=tmp_path / "other").sealing_key() != kek


def test_the_kek_is_apart_from_the_signing_secret(tmp_path: Path) -> None:
    one = load_settings(data_dir=tmp_path, secret_key="a" * 40)
    rotated = load_settings(data_dir=tmp_path, secret_key="b" * 40)
    assert one.sealing_key() == rotated.sealing_key()  # rotating the secret keeps the KEK
    generated = load_settings(data_dir=tmp_path / "both")
    assert generated.sealing_key() != generated.signing_key()
    assert (tmp_path / "both" / "key_encryption_key").exists()
    assert (tmp_path / "both" / "secret_key").exists()


def test_an_existing_kek_file_is_kept_and_a_spoilt_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key_encryption_key"
    path.write_text(KEK + "\n")
    assert load_settings(data_dir=tmp_path).sealing_key() == KEK
    assert path.read_text().strip() == KEK
    path.write_text("not a fernet key at all, but long enough for a secret_key\n")
    with pytest.raises(SettingsError) as err:
        load_settings(data_dir=tmp_path).sealing_key()
    message = str(err.value)
    assert str(path) in message and "PATHWAYS_KEY_ENCRYPTION_KEY" in message
    assert "not a valid Fernet key" in message
    assert path.read_text().startswith("not a fernet key")  # never replaced behind one's back


def test_the_signing_secret_file_behaves_as_before(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("short\n")
    with pytest.raises(SettingsError, match="shorter than 32 characters"):
        load_settings(data_dir=tmp_path).signing_key()
