"""The collector pause around allocation bursts (imports, snapshot rebuilds)."""

from __future__ import annotations

import gc
import threading

from api import gc_control


def test_the_collector_is_off_inside_and_on_after_the_last_nested_pause() -> None:
    assert gc.isenabled()
    with gc_control.paused():
        assert not gc.isenabled()
        with gc_control.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_concurrent_pauses_turn_it_on_only_when_the_last_one_leaves() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_control.paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with gc_control.paused():
        pass
    assert not gc.isenabled()  # the other thread's pause is still open
    release.set()
    t.join()
    assert gc.isenabled()


def test_the_survivors_of_a_burst_are_not_walked_by_the_next_collection() -> None:
    """Else the first young collection walks every object of the burst, GIL held."""
    before = gc.get_freeze_count()
    with gc_control.paused():
        kept = [[i] for i in range(50_000)]  # lists are always tracked
    try:
        assert gc.get_freeze_count() - before >= len(kept)
        assert gc.get_count()[0] < 1_000  # nothing of the burst left for gen 0
    finally:
        gc.unfreeze()  # do not leave this test's objects in the permanent generation
