"""`cli.datasets`: where the shared research data are looked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.datasets import (
    CT,
    ENV_VAR,
    REPO_ROOT,
    SharedDataMissing,
    shared_data_dir,
    shared_file,
)


def test_the_environment_variable_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert shared_data_dir() == tmp_path


def test_the_default_is_shared_data_beside_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert (REPO_ROOT / "pyproject.toml").is_file()
    assert shared_data_dir() == REPO_ROOT.parent / "shared" / "data"


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "")
    assert shared_data_dir() == REPO_ROOT.parent / "shared" / "data"


def test_a_present_file_is_found_under_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / CT).parent.mkdir(parents=True)
    (tmp_path / CT).write_text("Row\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert shared_file(CT) == tmp_path / CT
    assert shared_file(CT, root=tmp_path) == tmp_path / CT


def test_an_absent_file_says_where_it_looked_and_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(SharedDataMissing) as caught:
        shared_file(CT)
    assert str(tmp_path / "nowhere" / CT) in str(caught.value)
    assert ENV_VAR in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
