"""An item's derived starting guess/slip is checked against each of its skills."""

from __future__ import annotations

from typing import Any

from content import validate_curriculum
from content.checks import starting_problem, starting_values
from content.models import Item, Skill


def messages(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_curriculum(data).errors]


def two_choice_hard(data: dict[str, Any]) -> dict[str, Any]:
    item = data["items"][2]
    item["answer"] = {"choices": ["1/2", "2/3"], "correct": "2/3"}
    item["difficulty"] = "hard"
    return item


def test_floor_and_difficulty_can_make_an_undeclared_item_degenerate(data: dict[str, Any]) -> None:
    two_choice_hard(data)
    data["skills"][2]["bkt"] = {"slip": 0.45}
    found = messages(data)
    assert len(found) == 1, found
    msg = found[0]
    assert msg.startswith("items[2] (id 'i-c'): starting guess 0.5 (1/2, the chance")
    assert "1 - slip = 0.45 (slip 0.55: the skill's 0.45, shifted for a hard item)" in msg
    assert "for skill 'c'" in msg


def test_a_lower_skill_slip_or_a_declared_item_slip_fixes_it(data: dict[str, Any]) -> None:
    item = two_choice_hard(data)
    data["skills"][2]["bkt"] = {"slip": 0.3}
    assert messages(data) == []
    data["skills"][2]["bkt"] = {"slip": 0.45}
    item["bkt"] = {"slip": 0.2}
    assert messages(data) == []


def test_a_declared_guess_is_checked_against_the_skills_slip(data: dict[str, Any]) -> None:
    data["items"][1]["bkt"] = {"guess": 0.9}
    found = messages(data)
    assert len(found) == 1, found
    assert found[0].startswith("items[1].bkt.guess (id 'i-b'): starting guess 0.9 (the item's own)")
    assert "(slip 0.1: the skill's)" in found[0]


def test_a_declared_slip_is_checked_against_the_skills_guess(data: dict[str, Any]) -> None:
    data["skills"][1]["bkt"] = {"guess": 0.3}
    data["items"][1]["bkt"] = {"slip": 0.75}
    found = messages(data)
    assert len(found) == 1 and found[0].startswith("items[1].bkt.slip (id 'i-b')"), found


def test_a_multi_skill_item_is_checked_for_each_skill(data: dict[str, Any]) -> None:
    data["skills"][2]["bkt"] = {"guess": 0.4}
    data["items"][3]["bkt"] = {"slip": 0.65}  # fine with b's guess 0.2, not with c's 0.4
    found = messages(data)
    assert len(found) == 1 and "items[3].bkt.slip (id 'i-bc')" in found[0], found
    assert "for skill 'c'" in found[0]


def test_one_problem_per_template_family(data: dict[str, Any]) -> None:
    data["skills"][2]["bkt"] = {"slip": 0.45}
    data["templates"] = [
        {
            "id": "t",
            "skills": ["c"],
            "type": "multiple_choice",
            "difficulty": "hard",
            "prompt": "Is {a}/{b} less than 1?",
            "answer": {"choices": ["yes", "no"], "correct": "yes"},
            "params": [{"a": 1, "b": 2}, {"a": 2, "b": 3}],
        }
    ]
    found = messages(data)
    assert len(found) == 1 and "templates[0].params[0] (id 't-1')" in found[0], found


def test_starting_problem_ignores_unknown_skills_and_sound_items() -> None:
    item = Item.model_validate(
        {
            "id": "q",
            "skills": ["gone", "s"],
            "type": "numeric",
            "prompt": "1 + 1?",
            "answer": {"value": 2},
            "bkt": {"guess": 0.7},
        }
    )
    skill = Skill.model_validate({"id": "s", "name": "S", "grade_band": "4"})
    assert starting_problem(item, starting_values([skill])) is None  # 0.7 < 1 - default 0.1
    assert starting_problem(item, {}) is None
    bad = Skill.model_validate({**skill.model_dump(), "bkt": {"slip": 0.35}})
    found = starting_problem(item, starting_values([bad]))
    assert found is not None and found[0] == "bkt.guess" and "for skill 's'" in found[1]
