"""A read-only data directory stops `pathways serve` (and the other service commands)
with exit code 2 and one line naming the path, not a traceback from
`PRAGMA journal_mode=WAL`.

Root may write anywhere a permission allows, so as root the directory is made
read-only with a read-only bind mount (skipped where mounting is not allowed).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.cli.service_env import use_data_dir
from tests.utils.live_service import seed, service_env

runner = CliRunner()


@pytest.fixture
def read_only_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory holding a database, then made read-only."""
    data = tmp_path / "data"
    seed(service_env(data))
    use_data_dir(monkeypatch, data)
    if os.geteuid() != 0:
        data.chmod(0o555)
        yield data
        data.chmod(0o755)
        return
    bound = subprocess.run(["mount", "--bind", str(data), str(data)], capture_output=True)
    if bound.returncode != 0:
        pytest.skip(f"root, and cannot bind-mount to make a read-only folder: {bound.stderr!r}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], capture_output=True)
        assert ro.returncode == 0, ro.stderr
        yield data
    finally:
        subprocess.run(["umount", str(data)], check=False)


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setattr("cli.serve.check_port", lambda host, port: None, raising=False)
    return calls


@pytest.mark.parametrize("command", [["serve"], ["users", "list"]], ids=["serve", "users"])
def test_a_read_only_data_dir_is_one_line_naming_it(
    read_only_data_dir: Path, no_uvicorn: list[Any], command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and str(read_only_data_dir) in lines[0]
    assert "not writable" in lines[0] and "Traceback" not in result.output
    assert no_uvicorn == []
