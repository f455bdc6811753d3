"""`pathways fit | evaluate | crossvalidate | demo` end to end on small generated files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.params import ModelParams

runner = CliRunner()


def write_pybkt(path: Path, rng: np.random.Generator, students: int = 24) -> int:
    """BKT-generated answers on two skills in pyBKT's columns; returns the row count."""
    lines = ["order_id,user_id,skill_name,correct,template_id"]
    order = 0
    for s in range(students):
        for skill in ("fractions", "ratios"):
            known = rng.random() < 0.3
            for t in range(10):
                order += 1
                correct = int(rng.random() < (0.9 if known else 0.2))
                lines.append(f"{order},u{s},{skill},{correct},{skill}-{t % 3}")
                known = known or rng.random() < 0.25
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def write_ct(path: Path, rng: np.random.Generator, students: int = 12) -> None:
    lines = ["Row,Anon Student Id,Problem Name,Step Name,Correct First Attempt,KC(Default)"]
    row = 0
    for s in range(students):
        for t in range(8):
            row += 1
            kc = "Plot_pi" if t % 2 else "Calculate_unit_rate"
            lines.append(f"{row},st{s},P{t},step,{int(rng.random() < 0.3 + 0.08 * t)},{kc}")
    path.write_text("\n".join(lines) + "\n")


def assert_bad_input(result: object, *needles: str) -> None:
    """Exit code 2, one error line (the last on stderr) naming what is wrong, no traceback."""
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], lines
    err = errors[0]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def data(tmp_path: Path, seed: int) -> tuple[Path, int]:
    path = tmp_path / "answers.csv"
    return path, write_pybkt(path, np.random.default_rng(seed))


def test_fit_then_evaluate_round_trip(tmp_path: Path, data: tuple[Path, int]) -> None:
    path, n = data
    out = tmp_path / "params.json"
    fit = runner.invoke(app, ["fit", str(path), "--out", str(out), "--seed", "3"])
    assert fit.exit_code == 0, fit.output
    assert "fractions" in fit.stdout and "ratios" in fit.stdout
    assert "prior" in fit.stdout and f"wrote {out}" in fit.stdout
    assert f"{n} responses" in fit.stderr
    params = ModelParams.load(out)
    assert set(params.skills) == {"fractions", "ratios"}
    assert params.metadata["format"] == "pybkt" and params.metadata["n_responses"] == n

    ev = runner.invoke(app, ["evaluate", str(path), "--params", str(out)])
    assert ev.exit_code == 0, ev.output
    result = json.loads(ev.stdout)  # exactly one JSON object on stdout
    assert set(result) == {"auc", "rmse", "log_loss", "accuracy", "n"}
    assert result["n"] == n
    assert 0.5 < result["auc"] <= 1.0


def test_evaluate_reports_dropped_responses(tmp_path: Path, data: tuple[Path, int]) -> None:
    path, n = data
    out = tmp_path / "params.json"
    assert runner.invoke(app, ["fit", str(path), "--out", str(out)]).exit_code == 0
    raw = json.loads(out.read_text())
    del raw["skills"]["ratios"]
    out.write_text(json.dumps(raw))
    ev = runner.invoke(app, ["evaluate", str(path), "--params", str(out), "--format", "pybkt"])
    assert ev.exit_code == 0, ev.output
    result = json.loads(ev.stdout)
    assert result["dropped"] == n // 2 and result["n"] == n - n // 2
    assert "not scored" in ev.stderr


def test_fit_variants_show_their_columns(tmp_path: Path, data: tuple[Path, int]) -> None:
    path, _ = data
    out = tmp_path / "p.json"
    args = ["fit", str(path), "--out", str(out), "--forgets", "--multigs", "--restarts", "2",
            "--max-iter", "20", "--bound-guess", "0.3", "--bound-slip", "0.3"]  # fmt: skip
    fit = runner.invoke(app, args)
    assert fit.exit_code == 0, fit.output
    header = fit.stdout.splitlines()[0].split()
    assert header == ["skill", "prior", "learn", "guess", "slip", "forget", "items"]
    params = ModelParams.load(out)
    assert params.forgets and params.multigs
    assert all(p.guess <= 0.3 + 1e-9 and p.slip <= 0.3 + 1e-9 for p in params.skills.values())


def test_crossvalidate_text_and_json(data: tuple[Path, int]) -> None:
    path, n = data
    text = runner.invoke(app, ["crossvalidate", str(path), "--folds", "3"])
    assert text.exit_code == 0, text.output
    assert "(overall)" in text.stdout and "fold 2:" in text.stdout
    assert "pool the out-of-fold predictions" in text.stdout
    js = runner.invoke(app, ["crossvalidate", str(path), "--folds", "3", "--json", "--seed", "5"])
    assert js.exit_code == 0, js.output
    result = json.loads(js.stdout)
    assert result["overall"]["n"] == n and len(result["per_fold"]) == 3
    assert set(result["per_skill"]) == {"fractions", "ratios"}
    assert sum(f["n_test"] for f in result["per_fold"]) == n


def test_demo_on_a_given_file(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "ct.csv"
    write_ct(path, np.random.default_rng(seed))
    demo = runner.invoke(app, ["demo", "--data", str(path)])
    assert demo.exit_code == 0, demo.output
    assert "Calculate_unit_rate" in demo.stdout and "mastery trace of student" in demo.stdout
    lines = demo.stdout.splitlines()
    steps = lines[next(i for i, line in enumerate(lines) if line.startswith("step")) + 1 :]
    assert [line.split()[0] for line in steps] == ["1", "2", "3", "4"]  # 4 per student and skill


def test_demo_without_data_is_a_friendly_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_SHARED_DATA", str(tmp_path / "nowhere"))
    assert_bad_input(runner.invoke(app, ["demo"]), "demo data not found at", "PATHWAYS_SHARED_DATA")


# --- bad input: exit code 2 and one line -----------------------------------------------------


def test_missing_data_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fit", str(tmp_path / "nope.csv"), "--out", "x.json"])
    assert_bad_input(result, "nope.csv: no such file")


def test_non_binary_correctness(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("user_id,skill_name,correct\na,k,1\na,k,0.5\n")
    result = runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "p.json")])
    assert_bad_input(result, "bad.csv: row 2, column 'correct'", "got 0.5")
    assert not (tmp_path / "p.json").exists()


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("user_id,skill_name\na,k\n")
    result = runner.invoke(app, ["evaluate", str(path), "--params", "p.json", "--format", "pybkt"])
    # the parameter file is read first: it is named in the error
    assert_bad_input(result, "p.json")


def test_missing_columns_in_data(tmp_path: Path, data: tuple[Path, int]) -> None:
    path, _ = data
    out = tmp_path / "params.json"
    assert runner.invoke(app, ["fit", str(path), "--out", str(out)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,skill_name\na,k\n")
    result = runner.invoke(app, ["evaluate", str(bad), "--params", str(out), "--format", "pybkt"])
    assert_bad_input(result, "missing column(s) 'correct'", "columns present: 'user_id'")


def test_bad_params_file(tmp_path: Path, data: tuple[Path, int]) -> None:
    path, _ = data
    params = tmp_path / "params.json"
    params.write_text("{not json")
    assert_bad_input(
        runner.invoke(app, ["evaluate", str(path), "--params", str(params)]), "not valid JSON"
    )


def test_unknown_format_option(data: tuple[Path, int]) -> None:
    path, _ = data
    result = runner.invoke(app, ["fit", str(path), "--out", "x.json", "--format", "xlsx"])
    assert_bad_input(result, "--format must be one of 'auto', 'ct'", "got 'xlsx'")
    result = runner.invoke(app, ["fit", str(path), "--out", "x.json", "--multi-skill", "x"])
    assert_bad_input(result, "--multi-skill must be one of 'split', 'first', 'error'")


def test_undetectable_file(tmp_path: Path) -> None:
    path = tmp_path / "what.csv"
    path.write_text("a,b,c\n1,2,3\n")
    assert_bad_input(
        runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "p.json")]),
        "cannot detect the format",
        "supported formats",
    )


def test_bad_dkt_line(tmp_path: Path) -> None:
    path = tmp_path / "seq.csv"
    path.write_text("2\n4,4,\n1,0,1,\n")
    assert_bad_input(
        runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "p.json")]),
        "line 3: line 1 says 2 responses but this line has 3 correctness values",
    )


def test_bad_bound(data: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = data
    result = runner.invoke(
        app, ["fit", str(path), "--out", str(tmp_path / "p.json"), "--bound-guess", "1.5"]
    )
    assert_bad_input(result, "bounds.guess")


def test_unwritable_output(data: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = data
    result = runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "no" / "p.json")])
    assert_bad_input(result, "p.json")


def test_too_many_folds(data: tuple[Path, int]) -> None:
    path, _ = data
    result = runner.invoke(app, ["crossvalidate", str(path), "--folds", "99"])
    assert_bad_input(result, "folds (99) exceeds the number of students (24)")
