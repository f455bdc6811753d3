"""Data in: files and DataFrames -> `Responses`, and `Responses` -> pyBKT's DataFrame.

Formats: "ct" (Cognitive Tutor / DataShop), "assistments" (skill-builder),
"pybkt" (pyBKT's default column names), "dkt" (three-line sequences), or "auto".
See `load_responses` for the multi-skill choice.
"""

from __future__ import annotations

from pathlib import Path

from engine.io.assistments import read_assistments
from engine.io.ct import read_ct
from engine.io.detect import FORMATS, detect_format, supported
from engine.io.dkt import parse_dkt, read_dkt
from engine.io.mapping import (
    MULTI_SKILL_CHOICES,
    ColumnMapping,
    DataWarning,
    MissingSkill,
    MultiSkill,
    check_choice,
    from_frame,
)
from engine.io.pybkt import read_pybkt, to_pybkt_frame
from engine.io.table import load_table
from engine.responses import DataError, Responses

FORMAT_CHOICES: tuple[str, ...] = ("auto", *FORMATS)

__all__ = [
    "FORMATS",
    "FORMAT_CHOICES",
    "MULTI_SKILL_CHOICES",
    "ColumnMapping",
    "DataError",
    "DataWarning",
    "MissingSkill",
    "MultiSkill",
    "detect_format",
    "from_frame",
    "load_responses",
    "parse_dkt",
    "to_pybkt_frame",
]


def _generic_preset(columns: object, source: str = "") -> ColumnMapping:
    raise AssertionError("the generic table format needs an explicit mapping")


def load_responses(
    path: str | Path,
    format: str = "auto",
    mapping: ColumnMapping | None = None,
    multi_skill: MultiSkill = "split",
) -> Responses:
    """Load a response file; any malformed input raises `DataError` naming file, row, column.

    `multi_skill` decides what a response tagged with several skills becomes:
    "split" (default) gives one response per skill, the convention of pyBKT and
    of the published results on these data sets (and the only layout the
    ASSISTments/DKT files offer), so fits are comparable; "first" keeps the
    first skill only; "error" refuses such rows. See `from_frame` for details.

    `mapping` overrides the format's column preset (for files with other names);
    with format="auto" and a header no format recognises, the mapping is used
    as-is with strict rules (no rows dropped). Formats' own row rules: "ct" and
    "assistments" drop untagged rows, and "assistments"/"pybkt" keep only
    `original == 1` rows, each time with a `DataWarning` giving the count.
    """
    p = Path(path)
    check_choice(multi_skill, MULTI_SKILL_CHOICES, "multi_skill")
    if format not in FORMAT_CHOICES:
        raise DataError(f"unknown format {format!r}; supported formats: auto, {supported()}")
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        raise DataError(f"mapping must be a ColumnMapping, got {type(mapping).__name__}")
    fmt = format
    if fmt == "auto":
        try:
            fmt = detect_format(p)
        except DataError:
            if mapping is None:
                raise
            return load_table(
                p,
                _generic_preset,
                mapping,
                multi_skill=multi_skill,
                missing_skill="error",
                originals_only=False,
            )
    if fmt == "dkt":
        if mapping is not None:
            raise DataError(f"{p}: a column mapping does not apply to the DKT format")
        return read_dkt(p)
    if fmt == "ct":
        return read_ct(p, mapping, multi_skill)
    if fmt == "assistments":
        return read_assistments(p, mapping, multi_skill)
    return read_pybkt(p, mapping, multi_skill)
