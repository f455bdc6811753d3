"""What the schema itself enforces: an append-only log, one key per answer, one active set."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from models.content import Item
from models.migrate import alembic_config, upgrade
from models.params import ParamSet
from models.responses import ResponseLog
from models.types import utcnow
from models.users import User


def _log_row(engine: Engine, key: str = "k1") -> int:
    with Session(engine) as s:
        if s.get(User, 1) is None:
            s.add(User(id=1, username="amy", password_hash="x"))
            s.add(Item(id="i1", kind="numeric", definition={}))
            s.commit()
        row = ResponseLog(
            student_id=1, item_id="i1", raw_answer="1", correct=True, skills=["s"],
            attempt=1, idempotency_key=key, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.commit()
        assert row.id is not None
        return row.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE response_log SET correct = NOT correct",
        "UPDATE response_log SET raw_answer = 'changed' WHERE id = 1",
        "DELETE FROM response_log",
    ],
)
def test_response_log_rejects_update_and_delete(engine: Engine, statement: str) -> None:
    _log_row(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT raw_answer FROM response_log")).scalar_one() == "1"


def test_idempotency_key_is_unique_per_student(engine: Engine) -> None:
    _log_row(engine, "same")
    with pytest.raises(IntegrityError):
        _log_row(engine, "same")


def test_only_one_parameter_set_can_be_active(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(ParamSet(params={}, active=True))
        s.commit()
        s.add(ParamSet(params={}, active=False))
        s.commit()
        s.add(ParamSet(params={}, active=True))
        with pytest.raises(IntegrityError):
            s.commit()


def test_migrations_are_idempotent_and_seed_the_revision_row(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
        assert conn.execute(text("SELECT content, params FROM revision")).one() == (0, 0)
