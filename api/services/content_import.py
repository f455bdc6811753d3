"""Importing content: a curriculum YAML (replaces the curriculum) or an item CSV (adds items).

All-or-nothing: the upload is parsed and validated as a whole by `content` (the CSV
merged into the stored curriculum and re-validated) before anything is written. Any
problem -> `Invalid` carrying the validation report, nothing written.

Nothing here may keep students waiting, however large the file:

- validation runs outside any transaction and outside the database write lock
  (a 100k-row bank takes tens of seconds to check); it is checked against the
  curriculum as it was at content revision R;
- an item bank is then written in short batches (`staged_import.BATCH_ROWS` rows per write
  transaction, with a pause as long as the batch between them), so answers queue
  behind one batch, never behind the whole file. The rows are *staged* (see
  api.services.curriculum_store): no reader sees them until the last, short
  transaction publishes them all at once, and only if the content revision is
  still R (else nothing is published and the staged rows are removed: 409);
- one import runs at a time per database (`api.services.import_lock`); rows left
  staged by an import that died are removed by the next one (the batches:
  `api.services.staged_import`).

A curriculum YAML is validated the same way, outside the lock, and written in one
transaction (it replaces units, skills and items together).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from sqlmodel import Session

from api import gc_control
from api.db import write_transaction
from api.services.cache import read_revision
from api.services.curriculum_store import (
    current_curriculum,
    publish_staged,
    write_curriculum,
)
from api.services.errors import Conflict, Invalid
from api.services.import_lock import import_lock
from api.services.model_drift import replay_if_model_changed
from api.services.staged_import import discard, engine_of, stage, writer_connection
from content.csv_items import parse_item_csv
from content.curriculum import Curriculum
from content.loader import parse_text
from content.merge import merge_items
from content.models import Item as ContentItem
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
        with write_transaction(session), replay_if_model_changed(session):
            changes = write_curriculum(session, cur)
        return {"kind": kind, **report.to_dict(), **changes}
    return _import_items(session, text, filename)


def _import_items(session: Session, text: str, filename: str | None) -> dict[str, Any]:
    with gc_control.paused():  # 100k validated items: no multi-second collections
        return _import_items_now(session, text, filename)


def _import_items_now(session: Session, text: str, filename: str | None) -> dict[str, Any]:
    revision, base = _stored_curriculum(session)
    if base is None:
        problem = Problem(Location(filename), "import a curriculum before adding items to it")
        raise Invalid({"kind": "items", **_report(0, 0, 0, [problem])})
    items, counts, problems = _validate_items(base, text, filename)
    if problems:
        raise Invalid({"kind": "items", **_report(*counts, problems)})
    start = len(base.items)
    engine = engine_of(session)
    with import_lock(engine), writer_connection(engine, session) as writer:
        discard(writer)  # rows an import that died left staged
        try:
            stage(writer, items, start)
            with write_transaction(writer.session):
                if read_revision(writer.session)[0] != revision:
                    raise Conflict(
                        "the curriculum changed while this file was being checked (another "
                        "import or an item edit); nothing was imported: upload it again"
                    )
                publish_staged(writer.session)
        except BaseException:
            writer.session.rollback()
            with contextlib.suppress(Exception):  # else the next import removes them
                discard(writer)
            raise
        writer.checkpoint()
    return {
        "kind": "items",
        **_report(*counts),
        "added": [it.id for it in items],
        "updated": [],
        "retired": [],
    }


def _stored_curriculum(session: Session) -> tuple[int, Curriculum | None]:
    """(content revision, the stored curriculum at it), read consistently; no
    transaction is left open (validation takes long)."""
    for _ in range(5):
        session.commit()  # a fresh read
        before = read_revision(session)[0]
        base = current_curriculum(session)
        after = read_revision(session)[0]
        session.commit()
        if before == after:
            return before, base
    raise Conflict("the curriculum keeps changing; try the import again in a moment")


def _validate_items(
    base: Curriculum, text: str, filename: str | None
) -> tuple[list[ContentItem], tuple[int, int, int], list[Problem]]:
    located: list[Any] = []
    items: list[ContentItem] = []
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
    return items, counts, problems
