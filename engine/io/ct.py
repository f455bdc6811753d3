"""KDD Cup 2010 / PSLC DataShop Cognitive Tutor step exports (e.g. pyBKT's ct.csv).

One row per step: `Anon Student Id`, `Problem Name`, `Step Name`,
`Correct First Attempt` (0/1), a knowledge-component column `KC(<model>)` and
`Row` (the original order). Several KCs on one step are joined by "~~".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.io.mapping import ColumnMapping, MultiSkill, missing_columns_error
from engine.io.table import load_table
from engine.responses import Responses

STUDENT = "Anon Student Id"
CORRECT = "Correct First Attempt"
DEFAULT_KC = "KC(Default)"
PROBLEM = "Problem Name"
ORDER = "Row"
KC_SEPARATOR = "~~"


def kc_column(columns: Sequence[str]) -> str | None:
    """`KC(Default)` if present, else the first `KC(...)` model (KDD Cup files have others)."""
    if DEFAULT_KC in columns:
        return DEFAULT_KC
    return next((c for c in columns if c.startswith("KC(") and c.endswith(")")), None)


def looks_like(columns: Sequence[str]) -> bool:
    return CORRECT in columns and STUDENT in columns and kc_column(columns) is not None


def preset(columns: Sequence[str], source: str = "") -> ColumnMapping:
    """The mapping pyBKT uses for this export: item = problem name, order = `Row`."""
    kc = kc_column(columns)
    missing = [c for c in (STUDENT, CORRECT) if c not in columns]
    if kc is None:
        missing.append(DEFAULT_KC)
    if missing:
        raise missing_columns_error(missing, columns, source)
    assert kc is not None
    return ColumnMapping(
        correct=CORRECT,
        skill=kc,
        student=STUDENT,
        item=PROBLEM if PROBLEM in columns else None,
        order=ORDER if ORDER in columns else None,
        skill_separator=KC_SEPARATOR,
    )


def read_ct(
    path: Path, mapping: ColumnMapping | None = None, multi_skill: MultiSkill = "split"
) -> Responses:
    """Steps without a KC are dropped with a `DataWarning`: they are evidence about no skill."""
    return load_table(
        path,
        preset,
        mapping,
        multi_skill=multi_skill,
        missing_skill="drop",
        originals_only=False,
    )
