"""The SQLite writer queue: re-entrant in a thread, exclusive across processes."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

from sqlalchemy import create_engine

from api.db import WriterLock, writer_lock

HOLD_S = 0.5


def _hold(path: str, held: mp.synchronize.Event, seconds: float) -> None:
    with WriterLock(Path(path)):
        held.set()
        time.sleep(seconds)


def test_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "db-writer.lock")
    with lock, lock:  # a write transaction inside another must not deadlock
        pass
    with lock:  # and the file lock was released by the outer exit
        pass


def test_another_process_waits_until_the_holder_is_done(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    ctx = mp.get_context("spawn")
    held = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(path), held, HOLD_S))
    holder.start()
    try:
        assert held.wait(timeout=60), "the holder process did not start"
        began = time.monotonic()
        with WriterLock(path):
            waited = time.monotonic() - began
        # it had to wait for most of the hold (the holder still had most of it left)
        assert waited >= HOLD_S * 0.5, f"acquired after {waited:.3f} s while held"
    finally:
        holder.join(timeout=60)
    assert holder.exitcode == 0


def test_engines_share_a_lock_file_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "pathways.sqlite"
    one = create_engine(f"sqlite:///{db}")
    two = create_engine(f"sqlite:///{db}")
    memory = create_engine("sqlite://")
    try:
        assert (
            writer_lock(one)._path
            == writer_lock(two)._path
            == tmp_path / ("pathways.sqlite-writer.lock")
        )
        assert writer_lock(one) is writer_lock(one)
        assert writer_lock(memory)._path is None
    finally:
        for engine in (one, two, memory):
            engine.dispose()
