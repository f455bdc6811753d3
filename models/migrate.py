"""Apply the Alembic migrations programmatically (`alembic upgrade head`).

Several processes may start at once (workers, the CLI): the upgrade runs inside a
write lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so the
second one finds the schema current and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 7_041_977  # arbitrary, constant: "pathways migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call on every start (no-op when current)."""
    cfg = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(pathways_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
