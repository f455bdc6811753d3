"""One `pathways serve` node: its own process group, port, data directory and workers."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.processes import Account, Popen, free_port, kill_group, stop, tail, wait_until

# `pathways` from this interpreter (the same checkout and virtual environment)
PATHWAYS = [
    sys.executable,
    "-c",
    "import sys; from cli.main import app; sys.argv[0] = 'pathways'; app()",
]
STARTED = "Application startup complete"


@dataclass
class Node:
    index: int
    folder: Path
    env: dict[str, str]
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: Popen | None = None
    app: str | None = None  # a uvicorn factory to serve instead (a benchmark's peer)
    health_path: str = "/api/health"
    starts: int = 0
    _seen: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "serve.log"

    def start(self, timeout: float = 120.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process (not waiting for it: nodes start side by side)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seen = tail(self.log, 10**9).count(STARTED) if self.log.exists() else 0
        if self.app is None:
            args = [*PATHWAYS, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        else:
            args = [sys.executable, "-m", "uvicorn", "--factory", self.app]
            args += ["--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--workers", str(self.workers), "--no-access-log"]
        env = {**self.env, "PATHWAYS_DATA_DIR": str(self.folder)}
        self.process = Account().popen(args, self.log, env)
        self.starts += 1

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Healthy, with every worker past its start-up."""
        assert self.process is not None, "node not launched"

        def ready() -> bool:
            try:
                healthy = httpx.get(self.url + self.health_path, timeout=2).status_code == 200
            except httpx.TransportError:
                return False
            return healthy and tail(self.log, 10**9).count(STARTED) >= self._seen + self.workers

        wait_until(ready, self.process, f"node{self.index}", self.log, timeout)

    def kill(self) -> None:
        """kill -9 of the node and its workers, as when its machine dies."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def stop(self) -> None:
        """SIGTERM: uvicorn's graceful stop (requests in flight finish)."""
        process, self.process = self.process, None
        stop(process, signal.SIGTERM, timeout=30)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None
