"""Alembic environment: runs on a connection handed over by models.migrate, or on the
URL from the service settings when invoked as `alembic -c models/alembic.ini ...`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from api.db import make_engine
    from api.settings import load_settings

    engine = make_engine(load_settings())
    with engine.connect() as conn:
        _run(conn)
