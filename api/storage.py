"""Storage failures: a full disk, a read-only data directory, a database that is gone.

A write that fails because of the storage is not a bug in the request, so it should
not be a bare 500 (nor one whose connection broke, when PostgreSQL or PgBouncer
restarts under it): `classify` recognises these failures (SQLite's and PostgreSQL's
error codes, the OS errors beneath them) and the app answers 503 with what happened
and that nothing was saved. Every error on an engine goes through `StorageMonitor`
(SQLAlchemy's `handle_error` event), which remembers the last storage problem until
a write commits again; `/api/health` reports it. `check_data_dir` refuses to start
on a data directory the service cannot write, naming the path, instead of failing
later inside `PRAGMA journal_mode=WAL`.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from api.settings import Settings, SettingsError

FULL = "full"
READ_ONLY = "read_only"
UNAVAILABLE = "unavailable"
LOST = "lost"
BUSY = "busy"

MESSAGES = {
    FULL: "The server's storage is full, so nothing was saved. Please try again later; "
    "an administrator needs to free disk space.",
    READ_ONLY: "The server's storage is read-only right now, so nothing was saved. "
    "Please try again later; an administrator needs to make the data directory writable.",
    UNAVAILABLE: "The server cannot reach its database right now, so nothing was saved. "
    "Please try again later.",
    LOST: "The connection to the database was lost during this request, so it may not "
    "have been saved. Please send the same request again: an answer sent again with its "
    "key is stored once.",
    BUSY: "The database is busy. Please send the same request again in a moment.",
}
RETRY_AFTER_S = {FULL: 30, READ_ONLY: 30, UNAVAILABLE: 5, LOST: 1, BUSY: 1}
# Problems a successful read proves over (the database is reachable again); a full or
# read-only store is only over once a write commits.
CONNECTION_PROBLEMS = frozenset({UNAVAILABLE, LOST})
LOW_SPACE_BYTES = 1024 * 1024  # below this much free space a SQLite file cannot grow

_SQLITE_TEXT = (
    ("database or disk is full", FULL),
    ("attempt to write a readonly database", READ_ONLY),
    ("readonly database", READ_ONLY),
    ("unable to open database file", UNAVAILABLE),
    ("disk i/o error", UNAVAILABLE),
    ("database is locked", BUSY),
)
_PG_STATES = {
    "53100": FULL,
    "25006": READ_ONLY,
    "57P01": LOST,  # admin shutdown: the server (or PgBouncer) stopped under the request
    "57P02": LOST,  # crash shutdown
    "57P03": UNAVAILABLE,
    "53300": BUSY,
}
_OS_ERRORS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY}


@dataclass(frozen=True)
class StorageProblem:
    kind: str  # FULL | READ_ONLY | UNAVAILABLE | BUSY

    @property
    def message(self) -> str:
        return MESSAGES[self.kind]

    @property
    def retry_after(self) -> int:
        return RETRY_AFTER_S[self.kind]


def classify(exc: BaseException) -> StorageProblem | None:
    """The storage problem behind an exception (a DB-API error wrapped by SQLAlchemy,
    an OSError, or their causes), else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        kind = _kind(e)
        if kind is not None:
            return StorageProblem(kind)
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return None


def _kind(e: BaseException) -> str | None:
    if isinstance(e, OSError) and e.errno in _OS_ERRORS:
        return _OS_ERRORS[e.errno]
    if getattr(e, "connection_invalidated", False):  # SQLAlchemy: the connection broke
        return LOST
    state = getattr(e, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_STATES:
            return _PG_STATES[state]
        return UNAVAILABLE if state.startswith("08") else None
    if type(e).__module__ == "psycopg" and type(e).__name__ == "OperationalError":
        return UNAVAILABLE  # no server reply at all: connecting failed (PgBouncer down)
    if type(e).__module__ == "sqlite3":
        text = str(e).lower()
        for fragment, kind in _SQLITE_TEXT:
            if fragment in text:
                return kind
    return None


class StorageMonitor:
    """The last storage problem seen on an engine, until a write transaction commits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.problem: StorageProblem | None = None
        self.since = 0.0

    def failed(self, problem: StorageProblem) -> None:
        if problem.kind == BUSY:
            return  # waiting writers are not a storage problem
        with self._lock:
            if self.problem is None:
                self.since = time.time()
            self.problem = problem

    def wrote(self) -> None:
        if self.problem is not None:
            with self._lock:
                self.problem = None

    def reachable(self) -> None:
        """A read just worked: a lost or unreachable database is back. Without this a
        node behind a load balancer would stay unhealthy after a database restart,
        since the balancer sends it no requests that could write."""
        if self.problem is not None and self.problem.kind in CONNECTION_PROBLEMS:
            with self._lock:
                self.problem = None


_monitors: weakref.WeakKeyDictionary[Engine, StorageMonitor] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def monitor(engine: Engine) -> StorageMonitor:
    """The engine's monitor, listening to its errors and commits from the first call."""
    with _guard:
        found = _monitors.get(engine)
        if found is not None:
            return found
        found = _monitors[engine] = StorageMonitor()

    def on_error(context: Any) -> None:
        problem = classify(context.original_exception)
        if problem is not None:
            found.failed(problem)

    def on_commit(conn: Any) -> None:
        from api.db import WRITE_OPTION

        if conn.get_execution_options().get(WRITE_OPTION, False):
            found.wrote()

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "commit", on_commit)
    return found


def storage_status(engine: Engine, settings: Settings) -> dict[str, Any]:
    """What /api/health says about the storage: ok, or the problem (no server paths)."""
    problem = monitor(engine).problem
    status: dict[str, Any] = {"ok": problem is None, "problem": None}
    if problem is not None:
        status["problem"] = problem.kind
        status["message"] = problem.message
    database = sqlite_file(settings)
    if database is not None:
        try:
            free = shutil.disk_usage(database.parent).free
        except OSError:
            free = None
        status["free_bytes"] = free
        if free is not None and free < LOW_SPACE_BYTES and status["ok"]:
            status.update(ok=False, problem=FULL, message=MESSAGES[FULL])
    return status


def _is_memory(settings: Settings) -> bool:
    url = settings.sqlalchemy_url
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file, or None (PostgreSQL, in-memory SQLite)."""
    if not settings.is_sqlite or _is_memory(settings):
        return None
    database = make_url(settings.sqlalchemy_url).database
    return Path(database) if database else None


def check_data_dir(settings: Settings) -> None:
    """Refuse to start on folders the service cannot write (SettingsError naming them):
    the data directory (secret key, unless set) and the SQLite database's folder."""
    database = sqlite_file(settings)
    folders = [] if settings.secret_key else [settings.data_dir]
    if database is not None:
        folders.append(database.parent)
    for folder in dict.fromkeys(folders):
        _check_writable(folder)
    if database is not None and database.exists():
        try:
            with open(database, "r+b"):
                pass
        except OSError as exc:
            raise SettingsError(
                f"{database}: the database file is not writable ({exc.strerror})"
            ) from None


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"{folder}: cannot create the data directory ({exc.strerror}); "
            "set PATHWAYS_DATA_DIR to a folder the service may write"
        ) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SettingsError(
            f"{folder}: the data directory is not writable ({exc.strerror}); the service "
            "keeps its database, journal and secret key there. Make it writable or set "
            "PATHWAYS_DATA_DIR to another folder"
        ) from None
