"""The refit's streamed read of the log (api.services.log_data: log_plan, LogBlocks,
newest_cutoff): skill by skill from the database, the same fit as the whole log read at
once, a page of rows per round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from api.db import new_session
from api.runtime import Runtime
from api.services.fits import create_fit_job, run_fit
from api.services.log_data import LogBlocks, LogWindow, log_plan, log_responses, newest_cutoff
from engine.fit import BKTFitter, service_fitter
from engine.fit_stream import StreamingFitter
from engine.gate import TEST_SHARE, newest_mask, older_part
from models.fit_jobs import FitJob, FitOptions, FitStatus
from tests.utils import factories as f
from tests.utils.db import make_test_settings, migrated_engine
from tests.utils.log_seed import FLOORS, seed_log


def _streamed(session: Session, fitter: BKTFitter, window: LogWindow) -> StreamingFitter:
    plan = log_plan(session, fitter, window)
    assert plan is not None
    return StreamingFitter(fitter).fit(plan, LogBlocks(session, plan, window, page=50))


@pytest.mark.parametrize("service", [False, True], ids=["flat", "service"])
def test_streamed_refit_equals_the_whole_log_fit(
    session: Session, runtime: Runtime, seed: int, service: bool
) -> None:
    last = seed_log(session, runtime, seed)
    data = log_responses(session)
    assert data is not None
    make = service_fitter if service else BKTFitter
    whole = make(random_state=seed, guess_floors=FLOORS).fit(data)
    stream = _streamed(session, make(random_state=seed, guess_floors=FLOORS), LogWindow(last))
    assert stream.params_.to_json_dict() == whole.params_.to_json_dict()
    assert stream.report_.to_json_dict() == whole.report_.to_json_dict()


def test_streamed_older_part_and_skill_subset_equal_the_gate_split(
    session: Session, runtime: Runtime, seed: int
) -> None:
    last = seed_log(session, runtime, seed)
    for skills in (None, ("add", "mul")):
        data = log_responses(session, skills)
        assert data is not None
        newest = newest_mask(data)
        cutoff = newest_cutoff(session, LogWindow(last, skills=skills), TEST_SHARE)
        assert cutoff == int(data.row[newest].min())
        older = older_part(data, newest)
        assert older is not None
        whole = service_fitter(random_state=seed, guess_floors=FLOORS).fit(older)
        window = LogWindow(last, before=cutoff, skills=skills)
        stream = _streamed(session, service_fitter(random_state=seed, guess_floors=FLOORS), window)
        assert stream.params_.to_json_dict() == whole.params_.to_json_dict()


def test_rows_appended_after_the_window_are_not_read(
    session: Session, runtime: Runtime, seed: int
) -> None:
    last = seed_log(session, runtime, seed)
    plan = log_plan(session, BKTFitter(), LogWindow(last))
    seed_log(session, runtime, seed + 1, n_students=2)  # more answers (and students) arrive
    assert plan is not None
    blocks = LogBlocks(session, plan, LogWindow(last))
    assert [len(blocks.block(k)) for k in range(len(plan.skills))] == plan.n_rows.tolist()
    assert all(int(blocks.block(k).row.max()) <= last for k in range(len(plan.skills)))


def _one_pass_reads_once_per_pass(session: Session, runtime: Runtime, seed: int) -> None:
    last = seed_log(session, runtime, seed)
    plan = log_plan(session, BKTFitter(), LogWindow(last))
    assert plan is not None
    statements: list[str] = []
    engine = session.get_bind()

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "response_log" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with LogBlocks(session, plan, LogWindow(last), page=40) as one:
            assert one.one_pass
            first = one.block(0)
            if engine.dialect.name == "postgresql":
                assert one._conn is not None
                cursors = one._conn.exec_driver_sql("SELECT count(*) FROM pg_cursors")
                assert cursors.scalar_one() == 1
            blocks = [first] + [one.block(k) for k in range(1, len(plan.skills))]
            again = one.block(1)  # a second pass (the refit of empirical Bayes)
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)
    per_skill = LogBlocks(session, plan, LogWindow(last), one_pass=False)
    for k, b in enumerate(blocks):
        ref = per_skill.block(k)
        for name in ("correct", "student", "item", "row"):
            assert getattr(b, name).tolist() == getattr(ref, name).tolist()
        assert b.students == ref.students
    assert again.row.tolist() == blocks[1].row.tolist()


def test_one_pass_reads_the_log_once_per_pass(
    session: Session, runtime: Runtime, seed: int
) -> None:
    """One query per pass, cut into blocks as rows arrive (on PostgreSQL on an open
    server-side cursor); a skill asked for again starts a new pass; the same blocks as
    one query per skill."""
    if isinstance(session.get_bind().pool, StaticPool):  # type: ignore[union-attr]
        pytest.skip("in-memory SQLite has one connection: one query per skill (below)")
    _one_pass_reads_once_per_pass(session, runtime, seed)


def test_one_pass_on_a_sqlite_file(tmp_path: Path, runtime: Runtime, seed: int) -> None:
    """SQLite on a file (the default deployment) has a second connection: one pass too,
    reading beside the session's writes (WAL)."""
    settings = make_test_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'log.db'}")
    with migrated_engine(settings) as engine, new_session(engine) as session:
        _one_pass_reads_once_per_pass(session, runtime, seed)
        plan = log_plan(session, service_fitter(), LogWindow(10**9))
        assert plan is not None
        data = log_responses(session)
        assert data is not None
        whole = service_fitter(random_state=seed, guess_floors=FLOORS).fit(data)
        stream = _streamed(
            session, service_fitter(random_state=seed, guess_floors=FLOORS), LogWindow(10**9)
        )
        assert stream.params_.to_json_dict() == whole.params_.to_json_dict()

        # a fit job there: progress is written through the session while the pass reads
        job = create_fit_job(session, None, FitOptions(random_state=seed))
        assert job.id is not None
        run_fit(session, job.id)
        done = session.get(FitJob, job.id)
        assert done is not None and done.status == FitStatus.succeeded, done and done.error
        assert done.total and done.done == done.total


def test_a_skill_arrives_a_page_per_round_trip(
    session: Session, runtime: Runtime, seed: int
) -> None:
    """The block is never fetched whole: pages of `page` rows, and on PostgreSQL a
    server-side cursor is open on the connection while the pages are read."""
    last = seed_log(session, runtime, seed)
    plan = log_plan(session, BKTFitter(), LogWindow(last))
    assert plan is not None
    k = plan.skills.index("equiv")
    n = int(plan.n_rows[k])
    pages = LogBlocks(session, plan, LogWindow(last), page=40, one_pass=False).pages(k)
    first = next(pages)
    assert first[0].shape == (40,) and n > 40
    if session.get_bind().dialect.name == "postgresql":
        open_cursors = session.execute(text("SELECT count(*) FROM pg_cursors")).scalar_one()
        assert open_cursors == 1
    sizes = [40] + [p[0].shape[0] for p in pages]
    assert len(sizes) == math.ceil(n / 40) and sum(sizes) == n


def test_an_empty_window_has_no_plan(session: Session, runtime: Runtime) -> None:
    f.load_curriculum(session)
    assert log_plan(session, BKTFitter(), LogWindow(0)) is None
    assert newest_cutoff(session, LogWindow(0), TEST_SHARE) is None
