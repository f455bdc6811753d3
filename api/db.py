"""Database engine, sessions and write transactions for SQLite and PostgreSQL.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout and
foreign keys on. pysqlite's own implicit BEGIN is switched off so that we emit
BEGIN ourselves: a write transaction starts with BEGIN IMMEDIATE, which takes
the write lock up front, so concurrent writers queue on the busy timeout instead
of failing with "database is locked" when a read transaction tries to upgrade.

SQLite writers also queue on our own lock first (`WriterLock`): SQLite's busy handler
polls with growing sleeps (up to 100 ms), which under many concurrent writers wastes
most of the time, while a lock hands over at once. Threads of one process queue on a
Python lock, processes (server workers, the CLI) on an flock of a file beside the
database. SQLite's own locking still guarantees correctness; a writer that does not
take our lock (another program) simply meets us at the busy timeout.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import TracebackType
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: threads still queue, processes meet at the busy timeout
    fcntl = None  # type: ignore[assignment]

import orjson
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from api.settings import Settings

WRITE_OPTION = "pathways_write"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def json_dumps(value: Any) -> str:
    """JSON columns (student state, stored replies) through orjson: the state is
    rewritten on every answer, and the standard library took a measurable share."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_CODEC: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": orjson.loads}


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal", "-writer.lock")


def _tighten(path: Path, mode: int) -> None:
    """chmod to `mode` if the path exists, is ours and is looser (others' we leave)."""
    try:
        st = path.stat()
        if st.st_uid == os.geteuid() and (st.st_mode & 0o777) != mode:
            path.chmod(mode)
    except (FileNotFoundError, PermissionError):
        pass


def make_private(data_dir: Path, database: Path | None) -> None:
    """The data directory 0700 and the SQLite files 0600 (password hashes, answers and
    students' attributes live there), also when they already exist. The database file
    is created 0600 before SQLite opens it: SQLite gives -wal and -shm the mode of the
    database file."""
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(data_dir, PRIVATE_DIR)
    if database is None:
        return
    database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
    for suffix in SQLITE_SUFFIXES:
        _tighten(database.with_name(database.name + suffix), PRIVATE_FILE)


def make_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database (in-memory SQLite gets a StaticPool).

    SQL parameters never appear in error messages (`hide_parameters`): they hold
    usernames and answers, and error messages end up in logs."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        if not _is_memory(url):
            database = make_url(url).database
            make_private(settings.data_dir, Path(database) if database else None)
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False},
            "hide_parameters": True,
            **JSON_CODEC,
        }
        if _is_memory(url):
            kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_size"] = settings.db_pool_size
            kwargs["max_overflow"] = settings.db_pool_size
            kwargs["pool_timeout"] = 60
        engine = create_engine(url, **kwargs)
        configure_sqlite(engine, settings)
        return engine
    return create_engine(
        url,
        **JSON_CODEC,
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        # None: psycopg never prepares (PgBouncer transaction pooling, see the setting)
        connect_args={} if settings.db_prepared_statements else {"prepare_threshold": None},
    )


def configure_sqlite(engine: Engine, settings: Settings | None = None) -> None:
    """Pragmas on every new connection and our own BEGIN [IMMEDIATE] (see module doc)."""
    synchronous = settings.sqlite_synchronous if settings else "FULL"
    busy_ms = settings.sqlite_busy_timeout_ms if settings else 30_000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class WriterLock:
    """The queue of SQLite writers on one database (see the module doc). Re-entrant."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.RLock()
        self._path = path  # None: in-memory database, one process only
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self._path or "", os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        try:
            if self._depth == 0 and self._path is not None and fcntl is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_writer_locks: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> WriterLock:
    """The writer queue for this SQLite engine's database (see the module doc)."""
    with _locks_guard:
        lock = _writer_locks.get(engine)
        if lock is None:
            database = engine.url.database
            path = None if _is_memory(str(engine.url)) or not database else Path(database)
            lock = _writer_locks[engine] = WriterLock(
                None if path is None else path.with_name(path.name + "-writer.lock")
            )
        return lock


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One write transaction: BEGIN IMMEDIATE on SQLite; commit on success, else roll back.

    Any read transaction the session had open is ended first, because SQLite cannot
    upgrade a read transaction to a write one without risking a busy error. Inside
    `outer_write_transaction` the work joins the outer transaction instead (commit and
    roll back are the outer one's).
    """
    if session.info.get(_OUTER_WRITE):
        yield session
        session.flush()  # what a commit would have sent (ids, constraint checks)
        return
    if session.in_transaction():
        session.commit()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with writer_lock(engine) if is_sqlite(engine) else nullcontext():
        session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_OUTER_WRITE = "pathways_outer_write"


@contextmanager
def outer_write_transaction(session: Session) -> Iterator[Session]:
    """One write transaction around many service calls that each write (seeding a demo):
    all of it is stored, or none of it."""
    with write_transaction(session):
        session.info[_OUTER_WRITE] = True
        try:
            yield session
        finally:
            session.info.pop(_OUTER_WRITE, None)
