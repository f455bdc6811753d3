"""`pathways serve` for real: workers die with their parent; a taken port is one clear line.

- `serve --workers 2`, then SIGKILL to the parent (no chance to stop its workers):
  the workers must stop serving within seconds, and a new `serve` on the same port
  must start (before: they went on serving the port, and the restart failed with
  "address already in use").
- `serve` on a port someone listens on: exit code 2 and one `error:` line saying the
  port is in use, before anything else happens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks.live_server import free_port
from tests.utils.live_service import (
    PATHWAYS,
    Serve,
    is_running,
    process_children,
    service_env,
)

pytestmark = pytest.mark.slow

GONE_WITHIN_S = 20.0


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_workers_stop_when_the_parent_is_killed_and_serve_starts_again(tmp_path: Path) -> None:
    env = service_env(tmp_path / "data")
    port = free_port()
    first = Serve(env, port, ("--workers", "2")).start()
    again: Serve | None = None
    try:
        first.wait_ready(workers=2)
        assert first.process is not None
        workers = process_children(first.process.pid)
        assert len(workers) >= 2, first.log()
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        deadline = time.monotonic() + GONE_WITHIN_S
        while time.monotonic() < deadline and any(is_running(w) for w in workers):
            time.sleep(0.2)
        alive = [w for w in workers if is_running(w)]
        assert not alive, f"workers {alive} outlived their parent:\n{first.log()[-3000:]}"
        assert _refused(port)
        again = Serve(env, port, ("--workers", "2")).start()
        again.wait_ready(workers=2)
    finally:
        first.kill_group()  # whatever is left of the first server's session
        if again is not None:
            again.stop()


def test_serve_on_a_taken_port_exits_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*PATHWAYS, "serve", "--port", str(port)],
            env={**os.environ, **service_env(tmp_path / "data")},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and str(port) in lines[0] and "in use" in lines[0]
    assert not (tmp_path / "data" / "pathways.db").exists()  # nothing was set up
