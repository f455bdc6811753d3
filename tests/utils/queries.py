"""Reading the database state in tests: row counts and whole-table snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from models.mastery import Mastery, StudentStateRow
from models.responses import AnswerReply, ResponseLog


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def written_counts(engine: Engine) -> dict[str, int]:
    """Rows of everything an answer writes."""
    return {
        "log": count(engine, ResponseLog),
        "replies": count(engine, AnswerReply),
        "mastery": count(engine, Mastery),
        "states": count(engine, StudentStateRow),
    }


def derived_state(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """All mastery rows and student states, sorted, for exact comparison."""
    with Session(engine) as s:
        mastery = sorted(tuple(r) for r in s.execute(select(*Mastery.__table__.columns)).all())  # type: ignore[attr-defined]
        states = sorted(
            (r.student_id, r.step, r.last_response_id, _canon(r.state))
            for r in s.execute(select(*StudentStateRow.__table__.columns)).all()  # type: ignore[attr-defined]
        )
    return mastery, states


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_canon(v) for v in value)
    return value
