"""`pathways roster import`: dry run, import, a re-import with no changes, a refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.cli.service_env import use_data_dir
from tests.utils.roster import small_school

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_data_dir(monkeypatch, tmp_path / "data")


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "oneroster"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _usernames() -> list[str]:
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    return sorted(r["username"] for r in json.loads(listed.output))


def test_dry_run_then_import_then_nothing_to_change(tmp_path: Path) -> None:
    archive = tmp_path / "roster.zip"
    archive.write_bytes(small_school().zip())
    dry = runner.invoke(app, ["roster", "import", str(archive), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would change 14 records" in dry.output
    assert "created     amy.lee  [users.csv row 3]" in dry.output
    assert _usernames() == []
    done = runner.invoke(app, ["roster", "import", str(archive)])
    assert done.exit_code == 0, done.output
    assert "changed 14 records" in done.output
    assert _usernames() == ["amy.lee", "ben.ortiz", "cal.nguyen", "ms.rivera"]
    again = runner.invoke(
        app, ["roster", "import", str(_folder(tmp_path, small_school().files())), "--json"]
    )
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert (report["outcome"], report["summary"]["changes"], report["changes"]) == (
        "applied",
        0,
        [],
    )


def test_a_broken_roster_exits_1_naming_each_problem(tmp_path: Path) -> None:
    roster = small_school()
    roster.users[1] |= {"role": "wizard"}
    roster.enrolments[0] |= {"sourcedId": ""}
    result = runner.invoke(app, ["roster", "import", str(_folder(tmp_path, roster.files()))])
    assert result.exit_code == 1
    assert "refused: 2 problems, nothing changed" in result.output
    assert "error: users.csv row 3, column role: 'wizard' is not one of" in result.output
    assert "error: enrollments.csv row 2, column sourcedId: must not be empty" in result.output
    assert _usernames() == []


def test_a_path_that_is_not_a_roster_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["roster", "import", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such folder or zip file" in missing.output
    bad = tmp_path / "roster.zip"
    bad.write_text("not a zip")
    result = runner.invoke(app, ["roster", "import", str(bad)])
    assert result.exit_code == 2 and "roster.zip: not a zip archive" in result.output
