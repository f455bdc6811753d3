"""The peer of the load benchmark: the smallest FastAPI app that writes one row per request.

    uvicorn --factory benchmarks.bare_app:create_app   (settings from the environment)

It shares everything with the service that is not the service's own work: the
settings (PATHWAYS_*/DATABASE_URL), `api.db.make_engine` (same pool, same SQLite
pragmas: WAL, synchronous, busy timeout, BEGIN IMMEDIATE for writes, the same writer
lock), a sync handler run in the thread pool, a JSON body validated by pydantic and
a JSON reply, and the same uvicorn settings and worker count (benchmarks.load starts both). Per
request it does one write transaction: INSERT a row with a unique (client, key)
pair, like the service's idempotent answer log, RETURNING its id. No
authentication, no reads: the ratio of the service's throughput to this one is
what our own work costs on top of "one durable write per request". The service's
own process tuning (GIL switch interval, a small thread pool for the practice
routes) is part of that work and is not applied here: the peer runs as a bare
FastAPI app does, on the interpreter's and Starlette's defaults.

The table is created by `create_table` (the benchmark calls it before starting
the workers), not at start-up, so workers never race on DDL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    text,
)
from sqlmodel import Session

from api.db import make_engine, write_transaction
from api.settings import Settings, load_settings

metadata = MetaData()
bare_row = Table(
    "bare_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client", Integer, nullable=False),
    Column("key", String(100), nullable=False),
    Column("payload", String(1000), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("client", "key", name="uq_bare_client_key"),
)


class BareWrite(BaseModel):
    client: int
    key: str = Field(min_length=1, max_length=100)
    payload: str = Field(default="", max_length=1000)


class BareWritten(BaseModel):
    id: int


def create_table(settings: Settings | None = None) -> None:
    engine = make_engine(settings or load_settings())
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = engine if engine is not None else make_engine(settings)
    app = FastAPI(title="bare write peer", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        with Session(db) as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.post("/bare", response_model=BareWritten)
    def write(body: BareWrite) -> BareWritten:
        with Session(db) as session, write_transaction(session):
            row_id = session.execute(
                insert(bare_row)
                .values(
                    client=body.client,
                    key=body.key,
                    payload=body.payload,
                    created_at=datetime.now(UTC).replace(tzinfo=None),
                )
                .returning(bare_row.c.id)
            ).scalar_one()
        return BareWritten(id=int(row_id))

    return app
