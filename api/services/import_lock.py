"""One content import at a time per database, across threads and processes.

An flock beside an SQLite file, a PostgreSQL transaction-level advisory lock (held by a
transaction kept open for the import, so it works behind PgBouncer's transaction
pooling), a process lock for in-memory SQLite; a second import is refused at once
(Conflict), never queued.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from api.db import is_sqlite
from api.services.errors import Conflict

try:
    import fcntl
except ImportError:  # not POSIX: imports in one process still queue
    fcntl = None  # type: ignore[assignment]

PG_IMPORT_LOCK = 0x70617468  # pg_advisory_lock key of "one import at a time"

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
        # A transaction-level lock, in a transaction of its own kept open for the whole
        # import: behind PgBouncer in transaction mode a session-level lock would stay
        # on whichever server connection took it (and its unlock could go to another),
        # and a node killed mid-import would never release it. An open transaction
        # keeps its server connection, and ends (lock released) when the client dies.
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PG_IMPORT_LOCK})
            if not got.scalar_one():
                conn.rollback()
                raise _busy()
            try:
                yield
            finally:
                conn.rollback()  # ends the transaction: the lock goes with it
        return
    with _guard:
        lock = _memory_locks.setdefault(engine, threading.Lock())
    if not lock.acquire(blocking=False):
        raise _busy()
    try:
        yield
    finally:
        lock.release()
