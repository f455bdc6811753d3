"""Validation reports every problem with its location; loading is all-or-nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from content import (
    Curriculum,
    CurriculumError,
    curriculum_from_data,
    curriculum_from_text,
    load_curriculum,
    validate_curriculum,
)
from content.loader import parse_data
from content.problems import Problem


def messages(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_curriculum(data).errors]


def only(data: dict[str, Any]) -> str:
    found = messages(data)
    assert len(found) == 1, found
    return found[0]


def test_valid_data_loads(data: dict[str, Any]) -> None:
    report = validate_curriculum(data)
    assert report.ok
    assert (report.skills, report.items, report.prerequisites) == (3, 4, 3)
    cur = curriculum_from_data(data)
    assert isinstance(cur, Curriculum)
    assert [s.id for s in cur.skills] == ["a", "b", "c"]


def test_cycle_is_reported_with_its_path(data: dict[str, Any]) -> None:
    data["skills"][0]["requires"] = ["c"]
    data["skills"][2]["requires"] = ["b"]
    msg = only(data)
    assert "skills[1].requires (id 'b')" in msg
    assert "prerequisite cycle: a -> b -> c -> a" in msg


def test_self_prerequisite_is_a_cycle(data: dict[str, Any]) -> None:
    data["skills"][0]["requires"] = ["a"]
    assert "prerequisite cycle: a -> a" in only(data)


@pytest.mark.parametrize(
    ("section", "index", "field", "where"),
    [
        ("items", 0, "skills", "items[0].skills[0] (id 'i-a')"),
        ("units", 0, "skills", "units[0].skills[0] (id 'u1')"),
        ("skills", 1, "requires", "skills[1].requires[0] (id 'b')"),
    ],
)
def test_unknown_skill_references_name_where(
    data: dict[str, Any], section: str, index: int, field: str, where: str
) -> None:
    data[section][index][field][0] = "nope"
    found = messages(data)
    hits = [m for m in found if where in m]
    assert hits and "'nope'" in hits[0] and "unknown" in hits[0], found


@pytest.mark.parametrize(
    ("section", "label"), [("skills", "skill"), ("items", "item"), ("units", "unit")]
)
def test_duplicate_ids(data: dict[str, Any], section: str, label: str) -> None:
    data[section].append(dict(data[section][0]))
    if section == "units":
        data[section][1]["skills"] = ["a"]
    found = messages(data)
    dup = [m for m in found if f"duplicate {label} id" in m]
    assert len(dup) == 1, found
    assert f"{section}[{len(data[section]) - 1}]" in dup[0] and f"first at {section}[0]" in dup[0]


def test_item_without_answer_key(data: dict[str, Any]) -> None:
    del data["items"][1]["answer"]
    assert only(data).endswith("items[1].answer (id 'i-b'): item has no answer key")


def test_skill_without_items(data: dict[str, Any]) -> None:
    data["items"] = [it for it in data["items"] if "c" not in it["skills"]]
    assert "skills[2] (id 'c'): skill 'c' has no items" in only(data)


def test_skill_in_no_unit_or_two_units(data: dict[str, Any]) -> None:
    data["units"][0]["skills"] = ["a", "b"]
    assert "skill 'c' is not in any unit" in only(data)
    data["units"][0]["skills"] = ["a", "b", "c"]
    data["units"].append({"id": "u2", "name": "Two", "skills": ["c"]})
    assert "units[1].skills[0] (id 'u2'): skill 'c' is already in unit 'u1'" in only(data)


@pytest.mark.parametrize(
    ("index", "answer", "where", "says"),
    [
        (1, {"value": 1, "tolerance": -0.5}, "items[1].answer.tolerance", "tolerance must be >= 0"),
        (2, {"choices": ["x", "y"], "correct": "z"}, "items[2].answer.correct", "not one of"),
        (2, {"choices": ["x", "X "], "correct": "x"}, "items[2].answer.choices", "appears twice"),
        (2, {"choices": ["x"], "correct": "x"}, "items[2].answer.choices", "at least 2"),
        (0, {"value": "0.5"}, "items[0].answer.value", "is not a fraction"),
        (1, {"value": "abc"}, "items[1].answer.value", "is not a number"),
        (3, {"accepted": []}, "items[3].answer.accepted", "at least 1"),
        (3, {"accepted": [True]}, "items[3].answer.accepted[0]", "quote it"),
        (0, {"value": "1/2", "simplest": True}, "items[0].answer.simplest", "unknown field"),
    ],
)
def test_malformed_answer_keys(
    data: dict[str, Any], index: int, answer: dict[str, Any], where: str, says: str
) -> None:
    data["items"][index]["answer"] = answer
    msg = only(data)
    assert where in msg and says in msg, msg


@pytest.mark.parametrize(
    ("index", "answer", "says"),
    [
        (0, {"value": "2/4", "simplest_form": True}, "simplest form"),
        (0, {"value": "7/4", "mixed_number": True}, "mixed number"),
        (1, {"value": "1/3", "allow_fraction": False}, "'0.333333333333'"),
        (3, {"accepted": ["x" * 201]}, "too long"),
    ],
)
def test_keys_the_checker_rejects(
    data: dict[str, Any], index: int, answer: dict[str, Any], says: str
) -> None:
    data["items"][index]["answer"] = answer
    msg = only(data)
    assert f"items[{index}].answer" in msg and "checker rejects" in msg and says in msg, msg


def test_structural_problems(data: dict[str, Any]) -> None:
    data["skills"][0]["grade_band"] = "13"
    data["skills"][1]["mastery_threshold"] = 1.0
    data["skills"][2]["case_uri"] = "not a uri"
    data["items"][0]["difficulty"] = "extreme"
    data["items"][1]["type"] = "essay"
    data["items"][2]["id"] = "has space"
    data["bogus"] = 1
    found = "\n".join(messages(data))
    for expected in [
        "skills[0].grade_band (id 'a')",
        "skills[1].mastery_threshold (id 'b')",
        "skills[2].case_uri (id 'c')",
        "items[0].difficulty (id 'i-a')",
        "items[1].type (id 'i-b')",
        "items[2].id (id 'has space')",
        "bogus: unknown section",
    ]:
        assert expected in found, found
    assert "Unable to extract tag" not in found


def test_every_problem_is_reported_in_one_run(data: dict[str, Any]) -> None:
    data["skills"][0]["requires"] = ["c"]
    data["items"][0]["skills"] = ["zz"]
    data["items"][1]["answer"]["tolerance"] = -1
    data["items"].append(dict(data["items"][2]))
    found = messages(data)
    kinds = ("cycle", "unknown skill", "tolerance", "duplicate item", "has no items")
    assert len(found) == 5, found
    assert {next(k for k in kinds if k in m) for m in found} == set(kinds)


def test_malformed_entry_still_counts_for_references(data: dict[str, Any]) -> None:
    data["skills"][2]["grade_band"] = "banana"
    found = messages(data)
    assert len(found) == 1 and "grade_band" in found[0], found


def test_load_is_all_or_nothing(data: dict[str, Any], tmp_path: Path) -> None:
    data["items"][1]["answer"]["tolerance"] = -1
    data["skills"][0]["requires"] = ["c"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CurriculumError) as err:
        load_curriculum(path)
    problems = err.value.problems
    assert len(problems) == 2 and all(isinstance(p, Problem) for p in problems)
    assert all(p.location.file == str(path) for p in problems)
    assert "2 problem(s)" in str(err.value)


def test_yaml_problems_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nskills: [a, b\n", encoding="utf-8")
    report = validate_curriculum(bad)
    assert not report.ok and "not valid YAML" in str(report.errors[0])
    assert "line" in report.errors[0].location.path

    dup = "id: x\nid: y\nname: n\nunits: []\nskills: []\nitems: []\n"
    with pytest.raises(CurriculumError) as err:
        curriculum_from_text(dup, "dup.yaml")
    assert any("duplicate key 'id'" in str(p) and "line 2" in str(p) for p in err.value.problems)


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    report = validate_curriculum(tmp_path / "nope.yaml")
    assert not report.ok and "cannot read file" in report.errors[0].message
    assert report.to_dict()["skills"] == 0


def test_not_a_mapping_and_missing_sections() -> None:
    assert "should be a mapping" in str(parse_data([1, 2]).problems[0])
    report = validate_curriculum({"id": "x", "name": "X"})
    text = "\n".join(map(str, report.errors))
    assert "missing section 'units'" in text and "missing section 'skills'" in text
    assert "no items" in text
    with pytest.raises(CurriculumError):
        curriculum_from_text("- just\n- a list\n")


def test_report_json_shape(data: dict[str, Any]) -> None:
    data["items"][0]["skills"] = ["zz"]
    out = validate_curriculum(data).to_dict()
    assert list(out) == ["skills", "items", "prerequisites", "errors"]
    assert out["errors"] == [
        {"location": "items[0].skills[0] (id 'i-a')", "message": "unknown skill 'zz'"},
        {"location": "skills[0] (id 'a')", "message": "skill 'a' has no items"},
    ]


def test_round_trip_through_json_data(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    again = curriculum_from_data(cur.to_data())
    assert again == cur
    assert again.item("i-b").answer == cur.item("i-b").answer
