"""The one exception to the append-only log: rows of a student holding a purge permit.

Without a permit every DELETE is refused, as before; a permit (tied to an audit event)
frees exactly that student's log rows and replies, never anyone else's, and UPDATE
stays refused. The audit log itself is append-only. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.content import Item
from models.responses import AnswerReply, ResponseLog
from models.types import utcnow
from models.users import User
from tests.utils.db import make_test_settings, migrated_engine


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    with migrated_engine(make_test_settings(tmp_path, database_url=database_url)) as eng:
        yield eng


def _two_students_answered(engine: Engine) -> None:
    """amy (1) answered twice (responses 1, 3), ben (2) once (response 2)."""
    with Session(engine) as s:
        s.add_all(
            [
                User(id=1, username="amy", password_hash="x"),
                User(id=2, username="ben", password_hash="x"),
            ]
        )
        s.add(Item(id="i1", kind="numeric", definition={}))
        s.commit()
        for rid, uid in ((1, 1), (2, 2), (3, 1)):
            s.add(
                ResponseLog(
                    id=rid,
                    student_id=uid,
                    item_id="i1",
                    raw_answer="1",
                    correct=True,
                    skills=[],
                    attempt=1,
                    idempotency_key=f"k{rid}",
                    created_at=utcnow(),
                )
            )
            s.commit()
            s.add(AnswerReply(response_id=rid, body={}))
            s.commit()


def _permit(conn: object, student_id: int) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO audit_log (id, at, action, reason, details) "
            "VALUES (:id, CURRENT_TIMESTAMP, 'purge', 'test reason', '{}')"
        ),
        {"id": student_id},
    )
    conn.execute(  # type: ignore[attr-defined]
        text("INSERT INTO purge_permit (student_id, audit_id) VALUES (:s, :s)"), {"s": student_id}
    )


def _ids(engine: Engine, table: str, column: str) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(text(f"SELECT {column} FROM {table}")).scalars())


def test_without_a_permit_deletes_are_refused(engine: Engine) -> None:
    _two_students_answered(engine)
    for statement in (
        "DELETE FROM answer_reply WHERE response_id = 1",
        "DELETE FROM response_log WHERE student_id = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert _ids(engine, "response_log", "id") == [1, 2, 3]


def test_a_permit_frees_only_that_students_rows(engine: Engine) -> None:
    _two_students_answered(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        _permit(conn, 1)
        conn.execute(text("DELETE FROM answer_reply"))  # ben's reply too: refused, all rolled back
    assert _ids(engine, "answer_reply", "response_id") == [1, 2, 3]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        _permit(conn, 1)
        conn.execute(text("UPDATE response_log SET correct = false WHERE student_id = 1"))
    with engine.begin() as conn:
        _permit(conn, 1)
        conn.execute(text("DELETE FROM answer_reply WHERE response_id IN (1, 3)"))
        conn.execute(text("DELETE FROM response_log WHERE student_id = 1"))
        conn.execute(text("DELETE FROM purge_permit"))
    assert _ids(engine, "response_log", "id") == [2]
    assert _ids(engine, "answer_reply", "response_id") == [2]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM response_log"))  # the permit is gone: refused again


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET reason = 'changed'", "DELETE FROM audit_log"]
)
def test_the_audit_log_is_append_only(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, action, reason, details) "
                "VALUES (CURRENT_TIMESTAMP, 'export', 'r', '{}')"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _ids(engine, "audit_log", "id") == [1]
