"""ASSISTments skill-builder exports (2009-2010 and later, one row per problem log).

Columns used: `user_id`, `correct`, `skill_name` (or `skill_id`), `order_id`
(chronological), `template_id` (or `problem_id`) as the item, `original`.
A problem tagged with several skills appears as several rows with the same
`order_id`; the "collapsed" export instead joins skill ids with "_" in one cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.io.mapping import ColumnMapping, MultiSkill, missing_columns_error
from engine.io.table import load_table
from engine.responses import Responses

ID_SEPARATOR = "_"
_MARKERS = ("problem_id", "assignment_id", "assistment_id", "original", "skill_id")


def looks_like(columns: Sequence[str]) -> bool:
    base = "user_id" in columns and "correct" in columns
    has_skill = "skill_name" in columns or "skill_id" in columns
    return base and has_skill and any(m in columns for m in _MARKERS)


def preset(columns: Sequence[str], source: str = "") -> ColumnMapping:
    """Prefer `skill_name` (pyBKT's default, readable tables) over `skill_id`.

    Only `skill_id` cells are split on "_": ids are integers, so the separator is
    unambiguous, whereas skill names could contain it.
    """
    missing = [c for c in ("user_id", "correct") if c not in columns]
    skill = next((c for c in ("skill_name", "skill_id") if c in columns), None)
    if skill is None:
        missing.append("skill_name")
    if missing:
        raise missing_columns_error(missing, columns, source)
    assert skill is not None
    return ColumnMapping(
        correct="correct",
        skill=skill,
        student="user_id",
        item=next((c for c in ("template_id", "problem_id") if c in columns), None),
        order="order_id" if "order_id" in columns else None,
        skill_separator=ID_SEPARATOR if skill == "skill_id" else None,
    )


def read_assistments(
    path: Path, mapping: ColumnMapping | None = None, multi_skill: MultiSkill = "split"
) -> Responses:
    """Untagged problems (empty skill) and scaffolding rows (`original == 0`) are dropped,
    each with a `DataWarning`: the usual protocol (pyBKT, DKT) for this data."""
    return load_table(
        path,
        preset,
        mapping,
        multi_skill=multi_skill,
        missing_skill="drop",
        originals_only=True,
    )
