"""`pathways import | replay | refit` on the service database."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.runtime import Runtime
from api.services import answers
from api.settings import load_settings
from cli.main import app
from models.practice import AnswerSubmit
from models.users import Role
from tests.cli.service_env import use_data_dir
from tests.utils import factories as f
from tests.utils.curriculum import BAD_ITEM_CSV, ITEM_CSV, RIGHT, SMALL_CURRICULUM, WRONG

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_data_dir(monkeypatch, tmp_path / "data")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_curriculum_then_items(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(_write(tmp_path, "c.yaml", SMALL_CURRICULUM))])
    assert result.exit_code == 0, result.output
    assert "3 skills, 9 items, 2 prerequisites; 9 added" in result.output
    bad = runner.invoke(app, ["import", str(_write(tmp_path, "bad.csv", BAD_ITEM_CSV))])
    assert bad.exit_code == 1
    assert "nothing changed" in bad.output and "nosuchskill" in bad.output
    good = runner.invoke(app, ["import", "--json", str(_write(tmp_path, "ok.csv", ITEM_CSV))])
    assert good.exit_code == 0
    assert json.loads(good.output)["added"] == ["csv1", "csv2"]


def test_import_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read" in result.output


def _answers(n: int, seed: int) -> None:
    runtime = Runtime.create(load_settings())
    with runtime.session() as session:
        f.load_curriculum(session)
        students = [f.make_user(session, runtime, Role.student) for _ in range(3)]
        rng = random.Random(seed)
        for k in range(n):
            item = rng.choice(sorted(set(RIGHT) - {"csv1", "csv2"}))
            text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
            sid = rng.choice(students).id
            assert sid is not None
            body = AnswerSubmit(item_id=item, answer=text, idempotency_key=f"k{k}")
            answers.submit_answer(session, runtime, sid, body)
    runtime.engine.dispose()


def test_replay(seed: int) -> None:
    assert runner.invoke(app, ["users", "list"]).exit_code == 0  # creates the database
    _answers(30, seed)
    result = runner.invoke(app, ["replay"])
    assert result.exit_code == 0, result.output
    assert "replayed 30 responses: 3 students" in result.output


def test_refit_without_responses_is_exit_1() -> None:
    result = runner.invoke(app, ["refit"])
    assert result.exit_code == 1 and "no responses" in result.output


@pytest.mark.slow
def test_refit_and_activate(seed: int) -> None:
    assert runner.invoke(app, ["users", "list"]).exit_code == 0
    _answers(60, seed)
    result = runner.invoke(app, ["refit", "--restarts", "2", "--seed", "3", "--activate"])
    assert result.exit_code == 0, result.output
    assert "parameter set 1" in result.output
    expected = "activated parameter set 1 (gate passed); mastery recomputed from 60 responses"
    assert expected in result.output
    for skill in ("equiv", "add", "mul"):
        assert skill in result.output


def test_fit_from_db_is_the_service_refit(seed: int) -> None:
    assert runner.invoke(app, ["users", "list"]).exit_code == 0
    _answers(40, seed)
    result = runner.invoke(app, ["fit", "--from-db", "--seed", "1", "--activate"])
    assert result.exit_code == 0, result.output
    assert "parameter set 1" in result.output
    expected = "activated parameter set 1 (gate passed); mastery recomputed from 40 responses"
    assert expected in result.output


def test_fit_from_db_refuses_a_file_argument(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fit", "--from-db", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "--from-db" in result.output


def test_fit_without_data_or_from_db_is_exit_2() -> None:
    result = runner.invoke(app, ["fit"])
    assert result.exit_code == 2 and "--from-db" in result.output
