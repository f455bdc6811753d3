"""Database engine, sessions and write transactions for SQLite and PostgreSQL.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout and
foreign keys on. pysqlite's own implicit BEGIN is switched off so that we emit
BEGIN ourselves: a write transaction starts with BEGIN IMMEDIATE, which takes
the write lock up front, so concurrent writers queue on the busy timeout instead
of failing with "database is locked" when a read transaction tries to upgrade.

Within one process, SQLite writers also queue on a Python lock first: SQLite's busy
handler polls with growing sleeps (up to 100 ms), which under many concurrent writers
wastes most of the time; a lock hands over at once. Other processes (the CLI, more
workers) still meet at the busy timeout.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from api.settings import Settings

WRITE_OPTION = "pathways_write"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def make_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database (in-memory SQLite gets a StaticPool)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        if not _is_memory(url):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
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
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
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


_writer_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> threading.RLock:
    """The in-process queue for SQLite writers on this engine (see the module doc)."""
    with _locks_guard:
        lock = _writer_locks.get(engine)
        if lock is None:
            lock = _writer_locks[engine] = threading.RLock()
        return lock


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One write transaction: BEGIN IMMEDIATE on SQLite; commit on success, else roll back.

    Any read transaction the session had open is ended first, because SQLite cannot
    upgrade a read transaction to a write one without risking a busy error.
    """
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
