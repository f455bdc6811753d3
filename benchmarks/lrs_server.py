"""A real Learning Record Store for the xAPI tests and the load benchmark: Ralph on loopback.

Ralph (`ralph-malph`, FastAPI) with its file-system backend runs from a virtual
environment of its own (`scripts/install-lrs.sh` makes `.venv/lrs`; its pins of FastAPI
and uvicorn are older than ours), or from the interpreter PATHWAYS_LRS_PYTHON names. It
listens on 127.0.0.1 at a free port, with HTTP basic auth for one account whose bcrypt
hash is written to its auth file, and appends every statement it accepts to one JSON
lines file, which `statements()` reads back: what the LRS holds, duplicates included.
`stop()` and `start()` again keep the port, so a sender sees the same LRS come back.

Ralph 5.1.0's file-system LRS backend writes with its data backend's default operation,
CREATE, which refuses to touch an existing file: only the first batch would ever be
stored. The launcher (`LAUNCH`) makes it APPEND, the operation the backend documents
for adding records to a file, then runs Ralph's app under uvicorn in that process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from benchmarks.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON_ENV = "PATHWAYS_LRS_PYTHON"
DEFAULT_PYTHON = ROOT / ".venv" / "lrs" / "bin" / "python"
STATEMENTS_FILE = "fs_lrs.jsonl"
START_TIMEOUT_S = 60.0
LAUNCH = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), access_log=False)
"""


class LrsUnavailable(RuntimeError):
    """No Ralph installation to run."""


def lrs_python() -> Path:
    """The interpreter with Ralph installed; LrsUnavailable saying how to get one."""
    named = os.environ.get(PYTHON_ENV)
    python = Path(named) if named else DEFAULT_PYTHON
    if not python.exists():
        raise LrsUnavailable(
            f"no Ralph LRS at {python}: run scripts/install-lrs.sh (or set {PYTHON_ENV})"
        )
    return python


@dataclass
class LrsServer:
    root: Path  # the LRS's own folder: auth file, statements, log
    username: str = "pathways"
    password: str = "lrs-password-1"
    host: str = "127.0.0.1"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    python: Path = field(default_factory=lrs_python)

    @property
    def endpoint(self) -> str:
        """The xAPI base URL (PATHWAYS_XAPI_ENDPOINT)."""
        return f"http://{self.host}:{self.port}/xAPI"

    @property
    def statements_path(self) -> Path:
        return self.root / "data" / STATEMENTS_FILE

    @property
    def log_path(self) -> Path:
        return self.root / "lrs.log"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RALPH_APP_DIR": str(self.root / "app"),
            "RALPH_AUTH_FILE": str(self.root / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_RUNSERVER_AUTH_BACKENDS": "basic",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.root / "data"),
            "RALPH_BACKENDS__LRS__FS__DEFAULT_LRS_FILE": STATEMENTS_FILE,
        }

    def _write_auth(self) -> None:
        """Ralph's auth file: one account with every scope (bcrypt, low cost: a test LRS)."""
        hashed = subprocess.run(
            [
                str(self.python),
                "-c",
                "import bcrypt, sys; "
                "print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
                self.password,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        account = {
            "agent": {
                "objectType": "Agent",
                "account": {"homePage": "http://lrs.invalid", "name": self.username},
            },
            "scopes": ["all"],
            "hash": hashed,
            "username": self.username,
        }
        (self.root / "auth.json").write_text(json.dumps([account]))

    def start(self) -> LrsServer:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        if not (self.root / "auth.json").exists():
            self._write_auth()
        if self.port == 0:
            self.port = free_port(self.host)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-c", LAUNCH, self.host, str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"LRS exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/__heartbeat__", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"LRS not ready within {START_TIMEOUT_S:.0f} s:\n{self.log()}")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def statements(self) -> list[dict[str, Any]]:
        """Every statement the LRS stored, in order (a duplicate would appear twice)."""
        try:
            lines = self.statements_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def log(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> LrsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
