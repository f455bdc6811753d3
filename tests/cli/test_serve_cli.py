"""`pathways serve [--demo]`: seeding is idempotent; the server itself is uvicorn (stubbed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.lifecycle import PARENT_ENV
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
    # `serve --workers N` names itself the workers' parent in os.environ: undo that after
    # the test, or servers that later tests start would stop at once ("parent is gone")
    monkeypatch.setenv(PARENT_ENV, "")  # recorded as unset: removed again at teardown
    monkeypatch.delenv(PARENT_ENV)
    monkeypatch.setattr("cli.serve.check_port", lambda host, port: None)  # nothing listens
    monkeypatch.delenv("PATHWAYS_SERVE_PARENT_PID", raising=False)  # serve sets it: undone
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
    # the service log says where the password comes from, never the password itself
    assert "demo-pass-123" not in first.output
    assert "password: from PATHWAYS_DEMO_PASSWORD" in first.output
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


def test_the_demo_password_is_not_printed_into_a_log(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PATHWAYS_DEMO_PASSWORD", raising=False)
    result = runner.invoke(app, ["serve", "--demo"])
    assert result.exit_code == 0, result.output
    kept = tmp_path / "data" / "demo_password"
    password = kept.read_text().strip()
    assert password not in result.output
    assert f"password: kept in {kept}" in result.output
    # at a terminal (someone reading the screen, not a log) it is shown
    monkeypatch.setattr("cli.serve.stdout_is_terminal", lambda: True)
    again = runner.invoke(app, ["serve", "--demo"])
    assert f"password: {password}" in again.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_forwarded_headers_are_trusted_only_from_configured_proxies(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable does not decide
    monkeypatch.delenv("PATHWAYS_TRUSTED_PROXIES", raising=False)
    assert runner.invoke(app, ["serve", "--workers", workers]).exit_code == 0
    monkeypatch.setenv("PATHWAYS_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    assert runner.invoke(app, ["serve", "--workers", workers]).exit_code == 0
    default, proxied = served
    assert default["proxy_headers"] is False and default["forwarded_allow_ips"] == ""
    assert proxied["proxy_headers"] is True
    assert proxied["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16"
    assert default["server_header"] is False and proxied["server_header"] is False
    monkeypatch.setenv("PATHWAYS_TRUSTED_PROXIES", "not-an-address")
    bad = runner.invoke(app, ["serve"])
    assert bad.exit_code == 2 and "PATHWAYS_TRUSTED_PROXIES" in bad.output
