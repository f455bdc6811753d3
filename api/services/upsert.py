"""INSERT ... ON CONFLICT for SQLite and PostgreSQL (both dialects speak it).

Statements are built once per (dialect, table, columns) and reused: building them
costs more than executing them on the answer path.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

# Hot-path helpers take either: a Connection skips the ORM session's bookkeeping on
# every statement, a measurable share of an answer's CPU.
Executor = Session | Connection


def dialect_of(db: Executor) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def dialect_insert(session: Session, table: Table) -> Any:
    return insert_for(dialect_of(session), table)


def insert_for(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect!r}")


@lru_cache(maxsize=64)
def upsert_statement(
    dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]
) -> Any:
    stmt = insert_for(dialect, table)
    updates = {c: stmt.excluded[c] for c in columns if c not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


def upsert(db: Executor, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows, overwriting the non-key columns of rows whose keys already exist."""
    if not rows:
        return
    stmt = upsert_statement(dialect_of(db), table, tuple(rows[0]), tuple(keys))
    db.execute(stmt, list(rows))
