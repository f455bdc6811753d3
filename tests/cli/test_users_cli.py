"""`pathways users add | list` on the service database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.cli.service_env import use_data_dir

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_data_dir(monkeypatch, tmp_path / "data")


def _add(*args: str, password: str = "long-enough-pw\n") -> Result:
    return runner.invoke(app, ["users", "add", *args, "--password-stdin"], input=password)


def test_add_and_list(data_dir: Path) -> None:
    assert _add("tess", "--role", "teacher", "--class", "7B").exit_code == 0
    added = _add("sam", "--role", "student", "--class", "7B", "--full-name", "Sam S")
    assert added.exit_code == 0, added.output
    assert "added student 'sam'" in added.output
    assert _add("dee", "--role", "designer").exit_code == 0
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["username"], r["role"], r["classes"]) for r in rows] == [
        ("tess", "teacher", ["7B"]),
        ("sam", "student", ["7B"]),
        ("dee", "designer", []),
    ]
    assert rows[1]["full_name"] == "Sam S" and rows[1]["active"] is True
    only = json.loads(runner.invoke(app, ["users", "list", "--json", "--role", "student"]).output)
    assert [r["username"] for r in only] == ["sam"]
    assert (data_dir / "pathways.db").exists()


def test_the_password_works_for_logging_in(data_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    _add("sam", "--role", "student", password="s3cret-password\n")
    with TestClient(create_app()) as client:
        ok = client.post("/api/auth/token", data={"username": "sam", "password": "s3cret-password"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("args", "password", "code", "words"),
    [
        (["x", "--role", "wizard"], "long-enough-pw\n", 2, "--role must be one of"),
        (["x", "--role", "student"], "short\n", 2, "password"),
        (["bad name", "--role", "student"], "long-enough-pw\n", 2, "username"),
        (["x", "--role", "designer", "--class", "7B"], "long-enough-pw\n", 2, "--class"),
    ],
)
def test_bad_input_is_refused(args: list[str], password: str, code: int, words: str) -> None:
    result = _add(*args, password=password)
    assert result.exit_code == code
    assert words in result.output


def test_duplicate_username_is_exit_1() -> None:
    assert _add("sam", "--role", "student").exit_code == 0
    again = _add("sam", "--role", "teacher")
    assert again.exit_code == 1 and "already taken" in again.output
