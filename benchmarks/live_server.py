"""Run an ASGI app under uvicorn in a child process on a free loopback port.

Shared by the concurrency tests and the load benchmark, so both exercise the service
the way it is deployed: a separate process (or several workers), real sockets, the
settings taken from the environment. The app is given as uvicorn's import string of
a factory ("api.main:create_app"); `env` is added to this process's environment.
Ready means: the readiness path answers 200 and every worker has logged that its
start-up is complete (a worker still importing would otherwise skew a benchmark).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
STARTED_LINE = "Application startup complete"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    factory: str
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    host: str = "127.0.0.1"
    ready_path: str = "/api/health"
    extra_args: tuple[str, ...] = ()
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    start_timeout: float = START_TIMEOUT_S

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            self.factory,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "info",  # start-up lines only (no access log): we count the workers that are up
            "--no-access-log",
            *self.extra_args,
        ]

    def start(self) -> LiveServer:
        for _attempt in range(3):  # another process may take the free port before us
            self.port = free_port(self.host)
            fd, name = tempfile.mkstemp(prefix="pathways-uvicorn-", suffix=".log")
            self.log_path = Path(name)
            with os.fdopen(fd, "wb") as log:
                self.process = subprocess.Popen(
                    self.command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **self.env},
                    start_new_session=True,
                )
            try:
                self._wait_ready()
                return self
            except _PortTaken:
                self.stop()
            except BaseException:
                self.stop()
                raise
        raise RuntimeError(f"uvicorn could not bind a free port on {self.host}")

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_tail()
                if "address already in use" in log.lower():
                    raise _PortTaken()
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{log}")
            try:
                reply = httpx.get(self.base_url + self.ready_path, timeout=2.0)
                if reply.status_code == 200 and self.workers_up() >= self.workers:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"server not ready within {self.start_timeout:.0f} s:\n{self.log_tail()}"
        )

    def workers_up(self) -> int:
        """Worker processes that finished start-up (each logs this line once)."""
        if self.log_path is None:
            return 0
        try:
            return self.log_path.read_text(errors="replace").count(STARTED_LINE)
        except OSError:
            return 0

    def log_tail(self, chars: int = 4000) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> str:
        """Graceful stop (SIGTERM to uvicorn, which stops its workers); returns the log."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: uvicorn and workers
                proc.wait()
        log = self.log_tail(20_000)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None
        return log

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _PortTaken(Exception):
    pass
