"""`pathways fit --multigs` shrinks item guess/slip toward the skill by default.

The reported case: items with a few answers, all right (or all wrong), got a
guess of exactly 1.0 or a slip of 0.0 from unshrunk maximum likelihood, and
`pathways evaluate` then failed on the model's own impossible answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def _write(path: Path, rng: np.random.Generator, students: int = 30) -> None:
    """Two skills of BKT-like answers; each student also meets a rare item answered right
    ("easy-i") and one answered wrong ("hard-i"), a few times each over the cohort."""
    lines = ["order_id,user_id,skill_name,correct,template_id"]
    order = 0
    for s in range(students):
        for skill in ("fractions", "ratios"):
            known = rng.random() < 0.3
            for t in range(12):
                order += 1
                correct = int(rng.random() < (0.9 if known else 0.2))
                lines.append(f"{order},u{s},{skill},{correct},{skill}-{t % 3}")
                known = known or rng.random() < 0.25
            order += 1
            lines.append(f"{order},u{s},{skill},1,{skill}-easy-{s % 10}")
            order += 1
            lines.append(f"{order},u{s},{skill},0,{skill}-hard-{s % 10}")
    path.write_text("\n".join(lines) + "\n")


def _item_values(params: Path) -> list[float]:
    skills = json.loads(params.read_text())["skills"].values()
    return [v for p in skills for m in ("item_guess", "item_slip") for v in p[m].values()]


@pytest.mark.parametrize("seed", [0, 1])
def test_rare_items_stay_inside_the_unit_interval_and_evaluate_runs(
    tmp_path: Path, seed: int
) -> None:
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data, np.random.default_rng(seed))
    fitted = runner.invoke(app, ["fit", str(data), "--out", str(out), "--forgets", "--multigs"])
    assert fitted.exit_code == 0, fitted.output
    values = _item_values(out)
    assert len(values) == 2 * 2 * 23  # 23 items per skill, guess and slip each
    assert all(0.0 < v < 1.0 for v in values), sorted(values)[:3] + sorted(values)[-3:]
    scored = runner.invoke(app, ["evaluate", str(data), "--params", str(out)])
    assert scored.exit_code == 0, scored.output
    metrics = json.loads(scored.stdout.strip().splitlines()[-1])
    assert metrics["n"] == 30 * 2 * 14 and 0.0 < metrics["log_loss"] < 1.0


def test_item_strength_zero_is_the_unshrunk_fit(tmp_path: Path) -> None:
    """--item-strength 0 is pyBKT's KT-IDEM: the rare all-right items reach the edge."""
    data, out = tmp_path / "a.csv", tmp_path / "p.json"
    _write(data, np.random.default_rng(0))
    args = ["fit", str(data), "--out", str(out), "--forgets", "--multigs", "--item-strength", "0"]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 0, fitted.output
    assert any(v in (0.0, 1.0) for v in _item_values(out))
    scored = runner.invoke(app, ["evaluate", str(data), "--params", str(out)])
    assert scored.exit_code == 0, scored.output
