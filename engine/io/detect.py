"""Guess a file's format from its first bytes and header, or say what would be needed."""

from __future__ import annotations

from pathlib import Path

from engine.io import assistments, ct, dkt, pybkt
from engine.io.table import first_line, open_checked, read_header
from engine.responses import DataError

FORMATS: dict[str, str] = {
    "ct": "Cognitive Tutor / DataShop export: 'Anon Student Id', 'Correct First Attempt', "
    "'KC(Default)'",
    "assistments": "ASSISTments skill-builder: user_id, correct, skill_name or skill_id, "
    "order_id, problem_id/template_id",
    "pybkt": "pyBKT default columns: user_id, skill_name, correct (order_id, template_id)",
    "dkt": "DKT three-line sequences: count; skill ids; 0/1 correctness",
}


def supported() -> str:
    return "; ".join(f"{name} ({desc})" for name, desc in FORMATS.items())


def detect_format(path: Path) -> str:
    """Content decides (header names, a bare count line); the extension only breaks ties."""
    head = open_checked(path)
    if dkt.looks_like(head):
        return "dkt"
    line = first_line(head)
    if "," not in line and "\t" not in line and path.suffix.lower() not in (".csv", ".tsv"):
        raise DataError(
            f"{path}: cannot detect the format (the first line is not a table header "
            f"or a DKT count); supported formats: {supported()}"
        )
    columns, _ = read_header(path)
    if ct.looks_like(columns):
        return "ct"
    if assistments.looks_like(columns):
        return "assistments"
    if pybkt.looks_like(columns):
        return "pybkt"
    raise DataError(
        f"{path}: cannot detect the format from the header "
        f"(columns: {', '.join(map(repr, columns[:30]))}); supported formats: {supported()}; "
        "pass the format explicitly, or a column mapping"
    )
