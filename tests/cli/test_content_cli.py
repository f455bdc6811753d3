"""`pathways content validate`: exit 0 and counts on the sample, clear failures otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from content import load_curriculum, sample_curriculum_path

runner = CliRunner()

MINI: dict[str, Any] = {
    "id": "mini",
    "name": "Mini",
    "units": [{"id": "u", "name": "U", "skills": ["a", "b"]}],
    "skills": [
        {"id": "a", "name": "A", "grade_band": "4"},
        {"id": "b", "name": "B", "grade_band": "4", "requires": ["a"]},
    ],
    "items": [
        {"id": "i1", "skills": ["a"], "type": "numeric", "prompt": "1+1?", "answer": {"value": 2}},
        {
            "id": "i2",
            "skills": ["b"],
            "type": "fraction",
            "prompt": "1/2?",
            "answer": {"value": "1/2"},
        },
    ],
}


def write(tmp_path: Path, data: dict[str, Any], name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_sample_passes_with_json_counts() -> None:
    result = runner.invoke(app, ["content", "validate", str(sample_curriculum_path()), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    cur = load_curriculum(sample_curriculum_path())
    assert out == {
        "skills": len(cur.skills),
        "items": len(cur.items),
        "prerequisites": len(cur.prerequisite_edges()),
        "errors": [],
    }


def test_sample_human_summary() -> None:
    result = runner.invoke(app, ["content", "validate", str(sample_curriculum_path())])
    assert result.exit_code == 0
    assert result.output.strip().endswith("OK (32 skills, 488 items, 48 prerequisites)")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            lambda d: d["skills"][0].update(requires=["b"]),
            "skills[1].requires (id 'b'): prerequisite cycle: a -> b -> a",
        ),
        (
            lambda d: d["items"][0].update(skills=["zz"]),
            "items[0].skills[0] (id 'i1'): unknown skill 'zz'",
        ),
        (
            lambda d: d["items"][1].update(id="i1"),
            "items[1] (id 'i1'): duplicate item id 'i1' (first at items[0])",
        ),
    ],
)
def test_broken_files_fail_with_located_messages(
    tmp_path: Path, breakage: Any, expected: str
) -> None:
    data = json.loads(json.dumps(MINI))
    breakage(data)
    path = write(tmp_path, data)
    result = runner.invoke(app, ["content", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}: {expected}" in result.output
    assert "problem(s)" in result.output.splitlines()[0]

    as_json = runner.invoke(app, ["content", "validate", str(path), "--json"])
    assert as_json.exit_code == 1
    out = json.loads(as_json.output)
    assert list(out) == ["skills", "items", "prerequisites", "errors"]
    shown = [f"{e['location']}: {e['message']}" for e in out["errors"]]
    assert any(line.startswith(f"{path}: {expected}") for line in shown), shown
    assert all(set(e) == {"location", "message"} for e in out["errors"])


def test_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["content", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1 and "cannot read file" in result.output


def test_csv_against_the_sample_and_a_given_curriculum(tmp_path: Path) -> None:
    good = tmp_path / "bank.csv"
    good.write_text(
        "item_id,skill_ids,type,prompt,answer\n"
        "new-1,unit-fractions,fraction,What is one of 3 equal parts?,1/3\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["content", "validate", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"skills": 1, "items": 1, "prerequisites": 0, "errors": []}

    result = runner.invoke(
        app, ["content", "validate", str(good), "--curriculum", str(write(tmp_path, MINI))]
    )
    assert result.exit_code == 1
    assert f"{good}: row 2, column skill_ids (id 'new-1'): unknown skill 'unit-fractions'" in (
        result.output
    )


def test_curriculum_option_only_for_csv(tmp_path: Path) -> None:
    path = write(tmp_path, MINI)
    result = runner.invoke(app, ["content", "validate", str(path), "--curriculum", str(path)])
    assert result.exit_code == 2
