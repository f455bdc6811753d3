from __future__ import annotations

from typing import Any

import pytest

from content import CurriculumError, curriculum_from_data, load_item_csv, merge_items
from content.models import Item


def new_item(item_id: str, skill: str = "a") -> Item:
    return Item.model_validate(
        {
            "id": item_id,
            "skills": [skill],
            "type": "numeric",
            "prompt": "1+1?",
            "answer": {"value": 2},
        }
    )


def test_merge_appends_and_revalidates(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    merged = merge_items(cur, [new_item("n1"), new_item("n2", "c")])
    assert [i.id for i in merged.items][-2:] == ["n1", "n2"]
    assert [i.id for i in merged.items_for("c")][-1] == "n2"
    assert len(cur.items) == 4  # the original is untouched
    with pytest.raises(KeyError):
        cur.item("n1")


def test_merge_rejects_clashes_and_unknown_skills_with_locations(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    with pytest.raises(CurriculumError) as err:
        merge_items(cur, [new_item("i-a"), new_item("n2", "zz")], source="upload.csv")
    shown = [str(p) for p in err.value.problems]
    assert shown == [
        "upload.csv: items[4] (id 'i-a'): duplicate item id 'i-a' (first at items[0])",
        "upload.csv: items[5].skills[0] (id 'n2'): unknown skill 'zz'",
    ]


def test_csv_import_into_curriculum(data: dict[str, Any]) -> None:
    cur = curriculum_from_data(data)
    text = "item_id,skill_ids,type,prompt,answer\nq1,b,fraction,Half of 1?,1/2\n"
    merged = merge_items(cur, load_item_csv(text, cur))
    assert merged.item("q1").skills == ("b",)
