"""The real app under uvicorn in a thread of the test process, on a free loopback port.

For tests about concurrency or what goes over the wire that also need to look inside
the server (its runtime's counters); `benchmarks.live_server.LiveServer` runs it in
a child process instead. Loopback clients send real HTTP over real sockets.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from benchmarks.live_server import free_port

T = TypeVar("T")


@dataclass
class ThreadServer:
    base_url: str
    app: FastAPI


@contextmanager
def serve_in_thread(app: FastAPI, **config: Any) -> Iterator[ThreadServer]:
    """Run `app` under uvicorn until the block ends (`config`: extra uvicorn options)."""
    port = free_port()
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "off", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name="pathways-thread-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("test server did not start within 20 s")
    try:
        yield ThreadServer(base, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a fresh thread (a session-wide Playwright in the same pytest worker
    may keep an event loop running in the main thread)."""
    out: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            out.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=target, name="pathways-test-driver")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return out[0]


def rss_bytes() -> int:
    """This process's resident memory now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
