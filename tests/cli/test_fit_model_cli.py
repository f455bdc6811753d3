"""`pathways fit/evaluate/crossvalidate --model FAMILY`, `--model auto`, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.families.io import load_model
from engine.families.student_model import StudentModel
from engine.params import ModelParams

runner = CliRunner()


def _write(path: Path, seed: int = 0, items: bool = True, students: int = 30) -> None:
    """Students of differing ability on two skills, three items each of differing difficulty."""
    rng = np.random.default_rng(seed)
    head = "order_id,user_id,skill_name,correct" + (",template_id" if items else "")
    lines = [head]
    order = 0
    for s in range(students):
        ability = rng.normal(0.0, 1.0)
        for skill in ("fractions", "ratios"):
            known = rng.random() < 1.0 / (1.0 + np.exp(-(ability - 0.5)))
            for t in range(10):
                order += 1
                easy = 0.1 * (t % 3)
                correct = int(rng.random() < ((0.9 - easy / 2) if known else 0.15 + easy))
                row = f"{order},u{s},{skill},{correct}" + (f",{skill}-{t % 3}" if items else "")
                lines.append(row)
                known = known or rng.random() < 0.25
    path.write_text("\n".join(lines) + "\n")


def _bad(result: object, needle: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    err = result.stderr.strip().splitlines()[-1]  # type: ignore[attr-defined]
    assert err.startswith("error: ") and needle in err, err


@pytest.mark.parametrize("family", ["bkt", "forgets", "item", "student", "full"])
def test_every_family_fits_saves_and_evaluates(tmp_path: Path, family: str) -> None:
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data)
    fitted = runner.invoke(app, ["fit", str(data), "--out", str(out), "--model", family])
    assert fitted.exit_code == 0, fitted.output
    model = load_model(out)
    assert model.metadata["family"] == family
    assert isinstance(model, StudentModel) == (family in ("student", "full"))
    if family in ("item", "full"):
        assert all(len(p.item_guess) == 3 for p in model.skills.values())
    if family in ("student", "full"):
        assert "student ability: prior shift mean" in fitted.stdout
    scored = runner.invoke(app, ["evaluate", str(data), "--params", str(out)])
    assert scored.exit_code == 0, scored.output
    metrics = json.loads(scored.stdout.strip().splitlines()[-1])
    assert metrics["n"] == 30 * 2 * 10 and 0.5 < metrics["auc"] <= 1.0


def test_auto_picks_by_cross_validation_and_says_why(tmp_path: Path) -> None:
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data, seed=1)
    fitted = runner.invoke(app, ["fit", str(data), "--out", str(out), "--model", "auto"])
    assert fitted.exit_code == 0, fitted.output
    model = load_model(out)
    auto = model.metadata["auto"]
    families = [c["family"] for c in auto["candidates"]]
    assert families == ["bkt", "forgets", "item", "student", "full"]
    best = min(auto["candidates"], key=lambda c: c["log_loss"])
    assert auto["chosen"] == best["family"] == model.metadata["family"]
    forgets = next(c for c in auto["candidates"] if c["family"] == "forgets")
    assert best["log_loss"] <= forgets["log_loss"]
    assert f"auto chose {best['family']}: lowest out-of-fold log-loss" in fitted.stdout


def test_auto_without_items_skips_the_item_families(tmp_path: Path) -> None:
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data, items=False)
    fitted = runner.invoke(
        app, ["fit", str(data), "--out", str(out), "--model", "auto", "--auto-folds", "2"]
    )
    assert fitted.exit_code == 0, fitted.output
    auto = load_model(out).metadata["auto"]
    assert [c["family"] for c in auto["candidates"]] == ["bkt", "forgets", "student"]
    assert auto["skipped"] == ["item: the data have no item ids", "full: the data have no item ids"]


def test_crossvalidate_takes_every_family(tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    _write(data)
    for family in ("student", "full"):
        res = runner.invoke(
            app, ["crossvalidate", str(data), "--model", family, "--folds", "3", "--json"]
        )
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout.strip().splitlines()[-1])
        assert out["overall"]["n"] == 600 and len(out["per_fold"]) == 3


def test_bad_family_requests_are_clear_errors(tmp_path: Path) -> None:
    data, no_items, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "p.json"
    _write(data)
    _write(no_items, items=False)
    _bad(
        runner.invoke(app, ["fit", str(data), "--out", str(out), "--model", "deep"]),
        "--model: unknown model family 'deep'",
    )
    _bad(
        runner.invoke(app, ["fit", str(no_items), "--out", str(out), "--model", "full"]),
        f"{no_items}: model family 'full' needs item ids",
    )
    _bad(
        runner.invoke(app, ["crossvalidate", str(no_items), "--model", "item"]),
        "model family 'item' needs item ids",
    )
    _bad(
        runner.invoke(app, ["fit", str(data), "--out", str(out), "--model", "item", "--forgets"]),
        "--model replaces --forgets",
    )
    assert not out.exists()  # nothing half-written


def test_legacy_flags_still_fit_plain_params(tmp_path: Path) -> None:
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data)
    res = runner.invoke(app, ["fit", str(data), "--out", str(out), "--forgets", "--multigs"])
    assert res.exit_code == 0, res.output
    assert isinstance(load_model(out), ModelParams) and ModelParams.load(out).multigs
