from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from content import Curriculum, curriculum_from_data
from engine.graph import topological_order


def test_lookups_and_graph(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    assert cur.skill("b").requires == ("a",)
    assert cur.unit_of("c").id == "u1"
    assert [i.id for i in cur.items_for("b")] == ["i-b", "i-bc"]
    assert cur.item("i-c").type == "multiple_choice"
    nodes, edges = cur.graph()
    assert nodes == ["a", "b", "c"]
    assert edges == [("a", "b"), ("a", "c"), ("b", "c")] == cur.prerequisite_edges()
    assert cur.skill_order() == topological_order(nodes, edges) == ["a", "b", "c"]
    assert cur.mastery_thresholds() == {"a": 0.95, "b": 0.95, "c": 0.95}
    with pytest.raises(KeyError):
        cur.items_for("zz")


def test_direct_construction_still_checks_consistency(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    fields = {name: getattr(cur, name) for name in Curriculum.model_fields}
    with pytest.raises(ValidationError, match="unknown skill 'a'"):
        Curriculum.model_validate({**fields, "skills": cur.skills[1:], "units": cur.units})


def test_curriculum_is_immutable(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    with pytest.raises(ValidationError):
        cur.name = "other"
