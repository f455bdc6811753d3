"""`pathways serve [--demo]`: seeding is idempotent; the server itself is uvicorn (stubbed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.runtime import Runtime
from api.settings import load_settings
from cli.main import app
from models.classes import Enrolment
from models.mastery import Mastery
from models.params import ParamSet
from models.responses import ResponseLog
from models.users import User
from tests.cli.service_env import use_data_dir

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """uvicorn.run replaced by a recorder; a small demo class to keep the test quick."""
    use_data_dir(monkeypatch, tmp_path / "data")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.setattr("cli.serve.check_port", lambda host, port: None)  # nothing listens
    monkeypatch.setattr("api.demo.STUDENTS", 4)
    monkeypatch.setattr("api.demo.ANSWERS_MIN", 12)
    monkeypatch.setattr("api.demo.ANSWERS_SPREAD", 5)
    return calls


def _counts() -> dict[str, int]:
    runtime = Runtime.create(load_settings())
    with runtime.session() as s:
        out = {
            name: int(s.execute(select(func.count()).select_from(model)).scalar_one())
            for name, model in (
                ("users", User),
                ("enrolments", Enrolment),
                ("log", ResponseLog),
                ("mastery", Mastery),
                ("params", ParamSet),
            )
        }
    runtime.engine.dispose()
    return out


def test_serve_starts_uvicorn_on_the_data_dir(served: list[dict[str, Any]], tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8123
    assert (tmp_path / "data" / "pathways.db").exists()
    assert "demo logins" not in result.output


@pytest.mark.slow
def test_demo_seeding_is_idempotent(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_DEMO_PASSWORD", "demo-pass-123")
    first = runner.invoke(app, ["serve", "--demo"])
    assert first.exit_code == 0, first.output
    assert "teacher" in first.output and "designer" in first.output and "admin" in first.output
    assert "password: demo-pass-123" in first.output
    seeded = _counts()
    assert seeded["users"] == 3 + 4 and seeded["enrolments"] == 4
    assert seeded["log"] >= 4 * 12 and seeded["mastery"] > 0 and seeded["params"] == 1
    second = runner.invoke(app, ["serve", "--demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == seeded
    assert "simulated" not in second.output and "imported" not in second.output
    assert len(served) == 2


def test_generated_demo_password_is_kept(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PATHWAYS_DEMO_PASSWORD", raising=False)
    from api.demo import demo_password

    first, note = demo_password(tmp_path / "data")
    assert "generated now" in note and len(first) >= 12
    again, note = demo_password(tmp_path / "data")
    assert again == first and "generated earlier" in note
    assert oct((tmp_path / "data" / "demo_password").stat().st_mode)[-3:] == "600"


def test_serve_with_workers_hands_uvicorn_the_factory(served: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["serve", "--workers", "2", "--no-access-log"])
    assert result.exit_code == 0, result.output
    [call] = served
    # workers need an import string: each process builds its own app from the settings
    assert call["app"] == "api.main:create_app" and call["factory"] is True
    assert call["workers"] == 2 and call["access_log"] is False
    bad = runner.invoke(app, ["serve", "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output
