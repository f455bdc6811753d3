"""`cli.fit.skip_exit_collection`: the heap is frozen at exit, registered once per process."""

from __future__ import annotations

import atexit
import gc

import pytest

from cli.fit import skip_exit_collection


def test_freeze_at_exit_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    handlers: list[object] = []
    monkeypatch.setattr(atexit, "register", handlers.append)
    monkeypatch.setattr(
        atexit, "unregister", lambda f: handlers.remove(f) if f in handlers else None
    )
    skip_exit_collection()
    skip_exit_collection()
    assert handlers == [gc.freeze]
