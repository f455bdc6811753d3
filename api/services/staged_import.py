"""Writing an item bank in short staged batches on the import's own connection.

Answers queue behind one batch (`BATCH_ROWS` rows, tens of milliseconds of the write
lock), never behind the whole file; between batches the import pauses as long as the
batch took and folds the write-ahead log into the database outside the lock. The rows
stay staged (api.services.curriculum_store) until the import publishes them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.db import is_sqlite, write_transaction
from api.services.curriculum_store import discard_staged, stage_items
from api.services.errors import Conflict
from content.models import Item as ContentItem

BATCH_ROWS = 500  # rows per write transaction: tens of milliseconds of the write lock
MIN_PAUSE_S = 0.005  # between batches at least this long, else as long as the batch took


def engine_of(session: Session) -> Engine:
    """The engine behind a session (the import opens its own connection on it)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


class Writer:
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
def writer_connection(engine: Engine, session: Session) -> Iterator[Writer]:
    """The import's writer: its own connection on an SQLite file, else `session`."""
    database = engine.url.database
    if not is_sqlite(engine) or not database or database == ":memory:":
        yield Writer(session)
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        conn.commit()
        raw.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with Session(bind=conn, expire_on_commit=False) as own:
                yield Writer(own, raw)
        finally:
            raw.execute("PRAGMA wal_autocheckpoint=1000")


def stage(writer: Writer, items: Sequence[ContentItem], start: int) -> None:
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
        pause(writer, time.perf_counter() - began)


def discard(writer: Writer) -> None:
    """Remove every staged row (an import that died left them), in batches too."""
    while True:
        began = time.perf_counter()
        with write_transaction(writer.session):
            gone = discard_staged(writer.session, BATCH_ROWS)
        if gone < BATCH_ROWS:
            return
        pause(writer, time.perf_counter() - began)


def pause(writer: Writer, took_s: float) -> None:
    """Let the writers that queued behind this batch (answers) go first; meanwhile,
    outside the write lock, fold the batch into the database file."""
    began = time.perf_counter()
    writer.checkpoint()
    time.sleep(max(MIN_PAUSE_S, took_s - (time.perf_counter() - began)))
