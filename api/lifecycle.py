"""Server worker processes end with the `pathways serve` process that started them.

uvicorn's worker processes share the listening socket. If the parent is killed
without a chance to stop them (SIGKILL, the OOM killer), they would go on serving
the port, and a restart would fail with "address already in use". `pathways serve
--workers N` names itself in PATHWAYS_SERVE_PARENT_PID; each worker then asks Linux
to send it SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG), and a watchdog
thread, which also covers other systems, notices a changed parent within half a
second. SIGTERM is uvicorn's graceful stop (requests in flight finish); a worker that
has not stopped `GRACE_S` later exits anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PARENT_ENV = "PATHWAYS_SERVE_PARENT_PID"
PR_SET_PDEATHSIG = 1
POLL_S = 0.5
GRACE_S = 15.0


def _death_signal(sig: int) -> bool:
    """Ask Linux to send `sig` when the parent dies; False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _stop(reason: str) -> None:
    print(f"pathways worker {os.getpid()}: {reason}; stopping", file=sys.stderr, flush=True)
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    os._exit(1)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    _stop(f"its parent process {parent_pid} is gone")


def exit_with_parent(parent_pid: int) -> None:
    """End this process (gracefully, then for good) when `parent_pid` is no longer its parent."""
    _death_signal(signal.SIGTERM)
    threading.Thread(target=_watch, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def watch_parent_from_env() -> None:
    """In a worker started by `pathways serve --workers`, follow the parent (see above).

    Only a process whose parent is the one named follows it: the variable may also
    reach processes started otherwise (e.g. a test run that invoked `serve`). If the
    named process is gone already, the worker was orphaned before it got here."""
    value = os.environ.get(PARENT_ENV, "")
    if not value.isdigit() or int(value) == os.getpid():
        return
    parent = int(value)
    if os.getppid() == parent:
        exit_with_parent(parent)
    elif not _alive(parent):
        _stop(f"its parent process {parent} is gone")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
