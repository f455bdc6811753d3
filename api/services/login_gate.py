"""A bound on the password checks one server process runs at once.

An argon2 check holds ARGON2_MEMORY_KIB (64 MiB by default) while it runs; with one
thread per login, a burst of guesses grew a server by gigabytes. The gate lets
`slots` checks run at once; up to `queued` more wait (on the event loop, holding no
thread and no memory) at most `timeout_s`; anything beyond gets `Busy` (503 with
Retry-After) at once.

Waiting is a short poll rather than an asyncio primitive, so one gate serves every
event loop that drives the app (the server's, a test client's) without binding to one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from anyio import to_thread

from api.services.errors import Busy

T = TypeVar("T")
POLL_S = 0.01
BUSY = "the server is busy checking other logins; try again in {wait} s"


class PasswordCheckGate:
    def __init__(self, slots: int, queued: int, timeout_s: float) -> None:
        self.slots = slots
        self.queued = queued
        self.timeout_s = timeout_s
        self.running = 0
        self.waiting = 0
        self.peak = 0  # most checks that ran at once (for tests and operators)
        self._lock = threading.Lock()

    def _busy(self) -> Busy:
        wait = max(1, math.ceil(self.timeout_s / 4))
        return Busy(BUSY.format(wait=wait), retry_after=wait)

    def _try_start(self, waiting: bool) -> bool:
        """Take a slot if one is free (a newcomer only when nobody is waiting)."""
        with self._lock:
            if self.running < self.slots and (waiting or self.waiting == 0):
                self.running += 1
                self.peak = max(self.peak, self.running)
                return True
            return False

    async def run(self, check: Callable[..., T], *args: object) -> T:
        """Run `check(*args)` in a worker thread once a slot is free; else Busy."""
        if not self._try_start(waiting=False):
            with self._lock:
                if self.waiting >= self.queued:
                    raise self._busy()
                self.waiting += 1
            try:
                deadline = time.monotonic() + self.timeout_s
                while not self._try_start(waiting=True):
                    if time.monotonic() >= deadline:
                        raise self._busy()
                    await anyio.sleep(POLL_S)
            finally:
                with self._lock:
                    self.waiting -= 1
        try:
            # Not cancellable once started: the slot is held until the check returns.
            return await to_thread.run_sync(check, *args)
        finally:
            with self._lock:
                self.running -= 1
