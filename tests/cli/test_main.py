"""`cli.main`: every command is registered, and start-up loads only what it needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

CLI = Path(__file__).resolve().parents[2] / "cli"
COMMANDS = {
    "backup": "A consistent copy of the service database",
    "restore": "Copy a backup into the configured database",
    "serve": "Run the web service",
    "import": "Validate and store content",
    "refit": "Fit parameters on the logged responses",
    "replay": "Recompute every student's mastery",
    "fit": "Fit BKT parameters per skill by EM",
    "evaluate": "Score fitted parameters on data",
    "crossvalidate": "K-fold cross-validation",
    "demo": "Fit the shared Cognitive Tutor sample",
    "content validate": "Report every problem with its location",
    "users add": "Create an account.",
    "users list": "List accounts with their classes.",
    "roster import": "Import schools, students, teachers, classes, enrolments",
}
# What `from cli.main import app` must not load: each command imports these when it runs.
HEAVY = ("pandas", "numpy", "numba", "sqlalchemy", "fastapi", "rich", "api", "engine", "models")

runner = CliRunner()


def test_the_top_level_help_lists_every_command_in_order() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.split("Commands:")[1].strip().splitlines()
    listed = [line.split()[0] for line in lines]
    assert listed == list(dict.fromkeys(c.split()[0] for c in COMMANDS))


@pytest.mark.parametrize(("command", "summary"), COMMANDS.items())
def test_each_command_has_its_help(command: str, summary: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"Usage: pathways {command} " in result.output
    assert summary in result.output


def test_start_up_imports_no_heavy_module() -> None:
    probe = (
        "import sys; from cli.main import app; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "content" not in loaded  # the curriculum package (not `cli.content`)


def test_python_dash_m_cli_is_the_pathways_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "--help"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("Usage: pathways [OPTIONS] COMMAND")


def test_command_modules_never_import_cli_main() -> None:
    """Imports run one way: cli.main registers the command modules, not the reverse."""
    for path in sorted(CLI.glob("*.py")):
        if path.name in ("main.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                named = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                named = [a.name for a in node.names]
            else:
                continue
            assert "cli.main" not in named, f"{path.name} imports cli.main"
