"""ModelParams / SkillParams: validation messages, fallbacks and the versioned JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.params import FORMAT_NAME, FORMAT_VERSION, ModelParams, ParamsError, SkillParams


def _params() -> ModelParams:
    return ModelParams(
        skills={
            "fractions": SkillParams(
                prior=0.3,
                learn=0.1,
                guess=0.2,
                slip=0.1,
                forget=0.02,
                item_guess={"q1": 0.05},
                class_prior={"A": 0.6},
            )
        },
        forgets=True,
        multigs=True,
        metadata={"fitted_by": "test"},
    )


def test_item_and_class_maps_fall_back_to_the_skill_value() -> None:
    p = _params()["fractions"]
    assert p.guess_for("q1") == 0.05 and p.guess_for("q2") == 0.2 and p.guess_for(None) == 0.2
    assert p.prior_for("A") == 0.6 and p.prior_for("B") == 0.3 and p.prior_for(None) == 0.3
    assert p.learn_for("q1") == 0.1 and p.slip_for("q1") == 0.1 and p.forget_for("q1") == 0.02


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    _params().save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT_NAME and doc["version"] == FORMAT_VERSION
    again = ModelParams.load(path)
    assert again.to_json_dict() == _params().to_json_dict()
    assert again.forgets and again.multigs and not again.multilearn


def test_params_are_frozen() -> None:
    p = _params()["fractions"]
    with pytest.raises(AttributeError):
        p.prior = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.item_guess["q1"] = 0.9  # type: ignore[index]


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"format": "other"}, "'format' must be"),
        ({"format": FORMAT_NAME, "version": 99}, "unsupported version 99"),
        ({"format": FORMAT_NAME, "version": 1, "skills": []}, "skills: expected an object"),
        (
            {"format": FORMAT_NAME, "version": 1, "skills": {"a": {"prior": 0.1}}},
            r"skills\['a'\]: missing field\(s\) \['learn', 'guess', 'slip'\]",
        ),
        (
            {
                "format": FORMAT_NAME,
                "version": 1,
                "skills": {"a": {"prior": 0.1, "learn": 0.1, "guess": 0.1, "slip": 2}},
            },
            r"skills\['a'\]\.slip: probability must be in \[0, 1\]",
        ),
        (
            {
                "format": FORMAT_NAME,
                "version": 1,
                "skills": {"a": {"prior": 0.1, "learn": 0.1, "guess": 0.1, "slip": 0.1, "gues": 1}},
            },
            r"unknown field\(s\) \['gues'\]",
        ),
    ],
)
def test_bad_documents_name_the_place(doc: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        ModelParams.from_json_dict(doc)


def test_item_map_values_are_checked_by_name() -> None:
    with pytest.raises(ParamsError, match=r"item_guess\['q1'\]"):
        SkillParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1, item_guess={"q1": 1.5})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="no such parameter file"):
        ModelParams.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ParamsError, match="not valid JSON"):
        ModelParams.load(bad)
