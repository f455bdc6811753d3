"""Importing content: a curriculum YAML (replaces the curriculum) or an item CSV (adds items).

All-or-nothing: the upload is parsed and validated as a whole by `content` (the CSV
merged into the stored curriculum and re-validated) before anything is written. Any
problem -> `Invalid` carrying the validation report, nothing written.

Nothing here may keep students waiting, however large the file:

- validation runs outside any transaction and outside the database write lock
  (a 100k-row bank takes tens of seconds to check); it is checked against the
  curriculum as it was at content revision R;
- an item bank is then written in short batches (`BATCH_ROWS` rows per write
  transaction, with a pause as long as the batch between them), so answers queue
  behind one batch, never behind the whole file. The rows are *staged* (see
  api.services.curriculum_store): no reader sees them until the last, short
  transaction publishes them all at once, and only if the content revision is
  still R (else nothing is published and the staged rows are removed: 409);
- one import runs at a time per database (`import_lock`); rows left staged by an
  import that died are removed by the next one.

A curriculum YAML is validated the same way, outside the lock, and written in one
transaction (it replaces units, skills and items together).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api import gc_control
from api.db import is_sqlite, write_transaction
from api.services.cache import read_revision
from api.services.curriculum_store import (
    current_curriculum,
    discard_staged,
    publish_staged,
    stage_items,
    write_curriculum,
)
from api.services.errors import Conflict, Invalid
from api.services.model_drift import replay_if_model_changed
from content.csv_items import parse_item_csv
from content.curriculum import Curriculum
from content.loader import parse_text
from content.merge import merge_items
from content.models import Item as ContentItem
from content.problems import CurriculumError, Location, Problem

try:
    import fcntl
except ImportError:  # not POSIX: imports in one process still queue
    fcntl = None  # type: ignore[assignment]

Kind = Literal["curriculum", "items"]

BATCH_ROWS = 500  # rows per write transaction: tens of milliseconds of the write lock
MIN_PAUSE_S = 0.005  # between batches at least this long, else as long as the batch took
PG_IMPORT_LOCK = 0x70617468  # pg_advisory_lock key of "one import at a time"


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
    engine = _engine_of(session)
    with import_lock(engine), _writer(engine, session) as writer:
        _discard(writer)  # rows an import that died left staged
        try:
            _stage(writer, items, start)
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
                _discard(writer)
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


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


class _Writer:
    """The import's own database connection. On an SQLite file it does not checkpoint
    the write-ahead log inside its commits (which would hold the write lock while the
    batches' pages are copied into the database); it checkpoints between batches,
    outside the lock, so neither it nor the answers' commits carry that work."""

    def __init__(self, session: Session, raw: Any = None) -> None:
        self.session = session
        self._raw = raw

    def checkpoint(self) -> None:
        if self._raw is not None:
            self._raw.execute("PRAGMA wal_checkpoint(PASSIVE)")


@contextmanager
def _writer(engine: Engine, session: Session) -> Iterator[_Writer]:
    database = engine.url.database
    if not is_sqlite(engine) or not database or database == ":memory:":
        yield _Writer(session)
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        conn.commit()
        raw.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with Session(bind=conn, expire_on_commit=False) as own:
                yield _Writer(own, raw)
        finally:
            raw.execute("PRAGMA wal_autocheckpoint=1000")


def _stage(writer: _Writer, items: Sequence[ContentItem], start: int) -> None:
    """Write the items staged, BATCH_ROWS per transaction, pausing between batches."""
    for first in range(0, len(items), BATCH_ROWS):
        began = time.perf_counter()
        try:
            with write_transaction(writer.session):
                batch = items[first : first + BATCH_ROWS]
                stage_items(writer.session, ((it, start + first + j) for j, it in enumerate(batch)))
        except IntegrityError:
            raise Conflict(
                "an item id in the file was taken while it was being imported; nothing was "
                "imported: upload it again"
            ) from None
        _pause(writer, time.perf_counter() - began)


def _discard(writer: _Writer) -> None:
    while True:
        began = time.perf_counter()
        with write_transaction(writer.session):
            gone = discard_staged(writer.session, BATCH_ROWS)
        if gone < BATCH_ROWS:
            return
        _pause(writer, time.perf_counter() - began)


def _pause(writer: _Writer, took_s: float) -> None:
    """Let the writers that queued behind this batch (answers) go first; meanwhile,
    outside the write lock, fold the batch into the database file."""
    began = time.perf_counter()
    writer.checkpoint()
    time.sleep(max(MIN_PAUSE_S, took_s - (time.perf_counter() - began)))


# --------------------------------------------------------------------------------------
# One import at a time per database (across threads and processes)

_memory_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def _busy() -> Conflict:
    return Conflict("another import is running; try again when it has finished")


@contextmanager
def import_lock(engine: Engine) -> Iterator[None]:
    """Exclusive for one import (Conflict at once if another holds it): an flock beside
    an SQLite file, a PostgreSQL advisory lock, a process lock for in-memory SQLite."""
    database = engine.url.database
    if is_sqlite(engine) and database and database != ":memory:" and fcntl is not None:
        path = Path(database).with_name(Path(database).name + "-import.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy() from None
            yield
        finally:
            os.close(fd)  # releases the flock
        return
    if not is_sqlite(engine):
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_IMPORT_LOCK})
            if not got.scalar_one():
                raise _busy()
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_IMPORT_LOCK})
                conn.commit()
        return
    with _guard:
        lock = _memory_locks.setdefault(engine, threading.Lock())
    if not lock.acquire(blocking=False):
        raise _busy()
    try:
        yield
    finally:
        lock.release()
