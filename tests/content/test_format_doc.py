"""FORMAT.md's example must stay a valid curriculum, and its CSV columns the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import content
from content import curriculum_from_text
from content.csv_items import COLUMNS

FORMAT = Path(content.__file__).parent / "FORMAT.md"


def test_the_documented_example_is_valid() -> None:
    text = FORMAT.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert example is not None
    cur = curriculum_from_text(example.group(1), "FORMAT.md")
    assert [s.id for s in cur.skills] == ["equivalent-fractions", "simplify-fractions"]
    assert [i.id for i in cur.items] == ["eq-1", "simp-1", "simp-2"]
    assert cur.skill("simplify-fractions").mastery_threshold == 0.9


def test_every_csv_column_is_documented() -> None:
    text = FORMAT.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column}` |" in text, column
