"""Many students answering at once (real threads, a file database): nothing lost or doubled.

Runs on an SQLite file in WAL mode (not the in-memory test database, whose sessions
share one connection) and on PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from api.runtime import Runtime
from api.services import answers
from api.services.replay import replay
from models.practice import AnswerSubmit
from models.responses import ResponseLog
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.db import make_test_settings, migrated_engine
from tests.utils.queries import derived_state

THREADS = 8
ANSWERS_PER_THREAD = 25


@pytest.fixture
def file_runtime(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    # database_url is "sqlite://" (in memory) or PostgreSQL: use a file instead of memory
    url = None if database_url.startswith("sqlite") else database_url
    settings = make_test_settings(tmp_path, database_url=url)
    with migrated_engine(settings) as engine:
        runtime = Runtime.create(settings, engine)
        yield runtime
        runtime.jobs.shutdown()


def _worker(
    engine: Engine, runtime: Runtime, student_id: int, seed: int, errors: list[BaseException]
) -> None:
    rng = random.Random(seed)
    try:
        with Session(engine, expire_on_commit=False) as session:
            for n in range(ANSWERS_PER_THREAD):
                item = rng.choice(sorted(RIGHT.keys() - {"csv1", "csv2"}))
                text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
                # every third answer is sent twice (a client retry) with the same key
                key = f"s{student_id}-n{n}"
                for _ in range(2 if n % 3 == 0 else 1):
                    body = AnswerSubmit(item_id=item, answer=text, idempotency_key=key)
                    assert answers.submit_answer(session, runtime, student_id, body).recorded
    except BaseException as exc:  # surfaced by the main thread
        errors.append(exc)


@pytest.mark.slow
def test_concurrent_answers_are_serialised_exactly(file_runtime: Runtime, seed: int) -> None:
    engine = file_runtime.engine
    with Session(engine, expire_on_commit=False) as session:
        f.load_curriculum(session)
        # two threads per student, so one student's answers also race each other
        students = [f.make_user(session, file_runtime, Role.student) for _ in range(THREADS // 2)]
    ids = [s.id for s in students if s.id is not None for _ in range(2)]
    errors: list[BaseException] = []
    threads = [
        # a student's two threads share a seed: same items and keys, racing each other
        threading.Thread(target=_worker, args=(engine, file_runtime, sid, seed + sid, errors))
        for sid in ids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    with Session(engine) as session:
        rows = session.execute(
            select(
                ResponseLog.student_id,  # type: ignore[call-overload]
                ResponseLog.item_id,
                ResponseLog.attempt,
                ResponseLog.idempotency_key,
            ).order_by(ResponseLog.id)
        ).all()
    # both threads of a student use the same keys: each key is logged once per student
    keys = Counter((r.student_id, r.idempotency_key) for r in rows)
    assert set(keys.values()) == {1}
    assert len(rows) == len(students) * ANSWERS_PER_THREAD
    # attempt numbers per (student, item) are exactly 1..n, in log order
    per_pair: dict[tuple[int, str], list[int]] = {}
    for r in rows:
        per_pair.setdefault((r.student_id, r.item_id), []).append(r.attempt)
    for attempts in per_pair.values():
        assert sorted(attempts) == list(range(1, len(attempts) + 1))
    incremental = derived_state(engine)
    with Session(engine, expire_on_commit=False) as session:
        replay(session, file_runtime.cache)
    assert derived_state(engine) == incremental
