"""pyBKT's default column names, both ways, so benchmarks feed pyBKT exactly our data.

pyBKT's `convert_data` reads `user_id`, `skill_name`, `correct`, sorts by
`order_id` (then stably by user) and uses `template_id` for multigs/multilearn;
it keeps only `original == 1` rows when that column exists. We mirror that,
except that correctness must be 0/1 (pyBKT also accepts -1, "no response").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.io.mapping import ColumnMapping, MultiSkill, missing_columns_error
from engine.io.table import load_table
from engine.responses import Responses

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that use it: the DKT reader needs this
# module's helpers, and `pathways fit` on a DKT file then starts without pandas.

REQUIRED = ("user_id", "skill_name", "correct")


def looks_like(columns: Sequence[str]) -> bool:
    return all(c in columns for c in REQUIRED)


def preset(columns: Sequence[str], source: str = "") -> ColumnMapping:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise missing_columns_error(missing, columns, source)
    return ColumnMapping(
        correct="correct",
        skill="skill_name",
        student="user_id",
        item="template_id" if "template_id" in columns else None,
        order="order_id" if "order_id" in columns else None,
    )


def read_pybkt(
    path: Path, mapping: ColumnMapping | None = None, multi_skill: MultiSkill = "split"
) -> Responses:
    """Strict: an empty skill is an error (pyBKT would silently fit a skill called "nan")."""
    return load_table(
        path,
        preset,
        mapping,
        multi_skill=multi_skill,
        missing_skill="error",
        originals_only=True,
    )


def to_pybkt_frame(responses: Responses) -> pd.DataFrame:
    """One row per response in `Responses` order, with pyBKT's default column names.

    `order_id` is the position (1..n): pyBKT sorts by it and then stably by
    user, which reproduces each (skill, student) sequence in time order.
    `template_id` holds the item (omitted when the data have no items); `row`
    is the source row, for lining predictions up with the input.
    """
    import pandas as pd

    n = len(responses)
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1, dtype=np.int64),
            "user_id": np.asarray(responses.students, dtype=object)[responses.student],
            "skill_name": np.asarray(responses.skills, dtype=object)[responses.skill],
            "correct": responses.correct.astype(np.int64),
        }
    )
    if responses.items != ("",):
        frame["template_id"] = np.asarray(responses.items, dtype=object)[responses.item]
    frame["row"] = responses.row
    return frame
