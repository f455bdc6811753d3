"""xAPI settings fail fast: sending on without its connection settings, or a bad URL."""

from __future__ import annotations

import pytest

from api.settings import SettingsError, load_settings


def test_sending_on_without_connection_settings_names_each_missing_variable() -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(xapi_enabled=True, xapi_endpoint="https://lrs.example.edu/xAPI")
    text = str(err.value)
    assert "PATHWAYS_XAPI_ENABLED:" in text
    for name in ("PATHWAYS_XAPI_USERNAME", "PATHWAYS_XAPI_PASSWORD", "PATHWAYS_XAPI_HOME_PAGE"):
        assert name in text
    assert "PATHWAYS_XAPI_ENDPOINT" not in text


@pytest.mark.parametrize(
    "url",
    ["lrs.example.edu/xAPI", "ftp://lrs.example.edu", "https://", "https://u:p@lrs.example.edu"],
)
def test_bad_endpoint_is_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(SettingsError, match=r"PATHWAYS_XAPI_ENDPOINT: .*PATHWAYS_XAPI_ENDPOINT"):
        load_settings(xapi_endpoint=url)


def test_complete_settings_are_accepted_and_the_password_stays_out_of_reprs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATHWAYS_XAPI_ENABLED", "true")
    monkeypatch.setenv("PATHWAYS_XAPI_ENDPOINT", "https://lrs.example.edu/xAPI/")
    monkeypatch.setenv("PATHWAYS_XAPI_USERNAME", "pathways")
    monkeypatch.setenv("PATHWAYS_XAPI_PASSWORD", "s3cret-lrs-pw")
    monkeypatch.setenv("PATHWAYS_XAPI_HOME_PAGE", "https://pathways.example.edu/")
    settings = load_settings()
    assert settings.xapi_enabled
    assert settings.xapi_endpoint == "https://lrs.example.edu/xAPI"
    assert settings.xapi_home_page == "https://pathways.example.edu"
    assert settings.xapi_password is not None
    assert settings.xapi_password.get_secret_value() == "s3cret-lrs-pw"
    assert "s3cret-lrs-pw" not in repr(settings)


def test_sending_is_off_by_default() -> None:
    assert load_settings().xapi_enabled is False
