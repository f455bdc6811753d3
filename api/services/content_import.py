"""Importing content: a curriculum YAML (replaces the curriculum) or an item CSV (adds items).

All-or-nothing: the upload is parsed and validated as a whole by `content` (the CSV
merged into the stored curriculum and re-validated) before one write transaction
stores it. Any problem -> `Invalid` carrying the validation report, nothing written.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlmodel import Session

from api.db import write_transaction
from api.services.curriculum_store import current_curriculum, write_curriculum, write_items
from api.services.errors import Invalid
from content.csv_items import parse_item_csv
from content.loader import parse_text
from content.merge import merge_items
from content.problems import CurriculumError, Location, Problem

Kind = Literal["curriculum", "items"]


def detect_kind(filename: str | None, text: str) -> Kind:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "items"
    if name.endswith((".yaml", ".yml", ".json")):
        return "curriculum"
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return "items" if first.lower().startswith("item_id") else "curriculum"


def _report(skills: int, items: int, prerequisites: int, problems: Any = ()) -> dict[str, Any]:
    return {
        "skills": skills,
        "items": items,
        "prerequisites": prerequisites,
        "errors": [p.to_dict() for p in problems],
    }


def import_text(
    session: Session, text: str, filename: str | None = None, kind: Kind | None = None
) -> dict[str, Any]:
    """Validate and store; returns the report plus `kind`, `added`, `updated`, `retired`."""
    kind = kind or detect_kind(filename, text)
    if "\x00" in text:
        problem = Problem(Location(filename), "the file contains NUL characters (not a text file?)")
        raise Invalid({"kind": kind, **_report(0, 0, 0, [problem])})
    if kind == "curriculum":
        parsed = parse_text(text, filename)
        report = parsed.report()
        if not report.ok:
            raise Invalid({"kind": kind, **report.to_dict()})
        cur = parsed.curriculum()
        with write_transaction(session):
            changes = write_curriculum(session, cur)
        return {"kind": kind, **report.to_dict(), **changes}

    with write_transaction(session):
        base = current_curriculum(session)
        if base is None:
            problem = Problem(Location(filename), "import a curriculum before adding items to it")
            raise Invalid({"kind": kind, **_report(0, 0, 0, [problem])})
        located: list[Any] = []
        items: list[Any] = []
        try:
            # Always hand over text with a newline: content reads a newline-free str as a path.
            located, problems = parse_item_csv(text, base)
            items = [li.value for li in located]
            if not problems:
                merge_items(base, items, source=filename)
        except CurriculumError as exc:
            problems = list(exc.problems)
        counts = (
            len(base.skills),
            len(items) if not problems else len(located),
            len(base.prerequisite_edges()),
        )
        if problems:
            raise Invalid({"kind": kind, **_report(*counts, problems)})
        start = len(base.items)
        write_items(session, ((it, start + j) for j, it in enumerate(items)))
    return {
        "kind": kind,
        **_report(*counts),
        "added": [it.id for it in items],
        "updated": [],
        "retired": [],
    }
