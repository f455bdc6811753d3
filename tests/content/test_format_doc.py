"""FORMAT.md's example must stay a valid curriculum, and its CSV columns the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import content
from content import curriculum_from_text
from content.cold_start import DEFAULT_STARTING, DIFFICULTY_SHIFT
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
    simplify, equivalent = (
        cur.skill("simplify-fractions").bkt,
        cur.skill("equivalent-fractions").bkt,
    )
    assert simplify is not None and equivalent is not None
    assert simplify.declared() == {"prior": 0.2, "learn": 0.1, "guess": 0.15, "slip": 0.1}
    assert equivalent.declared() == {"prior": 0.3, "learn": 0.15, "guess": 0.15, "slip": 0.1}
    eq1 = cur.item("eq-1").bkt
    assert eq1 is not None and eq1.declared() == {"slip": 0.05}


def test_the_documented_defaults_match_the_code() -> None:
    text = " ".join(FORMAT.read_text(encoding="utf-8").split())
    p = DEFAULT_STARTING
    assert f"(prior {p.prior:g}, learn {p.learn:g}, guess {p.guess:g}, slip {p.slip:g}," in text
    easy, hard = DIFFICULTY_SHIFT["easy"], DIFFICULTY_SHIFT["hard"]
    assert (
        f"`easy`: guess +{easy:g}, slip -{easy:g}; `hard`: guess {hard:g}, slip +{-hard:g}" in text
    )


def test_every_csv_column_is_documented() -> None:
    text = FORMAT.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column}` |" in text, column
