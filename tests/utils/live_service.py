"""The service in its own process (benchmarks.live_server) on a data directory of the test's.

`service_env` is the server's environment (SQLite file in the data dir, or a
PostgreSQL URL; cheap argon2; a fixed key), `seed` fills the database before the
server starts (small curriculum, students, a designer), `token` logs in over HTTP.

`create_app_with_page_cap` is an app factory for LiveServer that lets a test
simulate a full SQLite database: while the file `max_pages` exists in the data
directory, every connection handed out gets `PRAGMA max_page_count` from it (a value
below the current size means "no room to grow"), so writes that need a new page fail
with SQLITE_FULL exactly as on a full disk. While `read_only` exists there, connections
are `PRAGMA query_only`: every write fails with SQLITE_READONLY, as when the data
directory turns read-only under a running server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlmodel import Session

from api.db import make_engine
from api.main import create_app
from api.runtime import Runtime
from api.services import content_import, users
from api.settings import Settings, load_settings
from models.migrate import upgrade
from models.users import Role, UserCreate
from tests.utils.curriculum import SMALL_CURRICULUM

PASSWORD = "live-service-pw-1"
SECRET = "live-service-secret-" + "k" * 32
CAP_FILE = "max_pages"
READ_ONLY_FILE = "read_only"
NO_CAP = 2_147_483_646


def service_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    return {
        "PATHWAYS_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,  # empty: SQLite file pathways.db in the data dir
        "PATHWAYS_SECRET_KEY": SECRET,
        "PATHWAYS_ARGON2_TIME_COST": "1",
        "PATHWAYS_ARGON2_MEMORY_KIB": "64",
        **extra,
    }


def settings_for(env: dict[str, str]) -> Settings:
    return load_settings(
        data_dir=Path(env["PATHWAYS_DATA_DIR"]),
        database_url=env["DATABASE_URL"] or None,
        secret_key=SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )


@dataclass
class Seeded:
    students: dict[str, int]  # username -> id
    designer: str


def seed(env: dict[str, str], students: int = 1, curriculum: str = SMALL_CURRICULUM) -> Seeded:
    """Migrate, import the curriculum, add `students` students (s0, s1, ...) and a designer."""
    settings = settings_for(env)
    engine = make_engine(settings)
    upgrade(engine)
    runtime = Runtime.create(settings, engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            content_import.import_text(session, curriculum, "small.yaml")
            ids = {}
            for n in range(students):
                user = users.create_user(
                    session,
                    runtime,
                    UserCreate(username=f"s{n}", role=Role.student, password=PASSWORD),
                )
                assert user.id is not None
                ids[user.username] = user.id
            users.create_user(
                session, runtime, UserCreate(username="d0", role=Role.designer, password=PASSWORD)
            )
        return Seeded(ids, "d0")
    finally:
        runtime.jobs.shutdown()
        engine.dispose()


def token(base_url: str, username: str) -> dict[str, str]:
    reply = httpx.post(
        base_url + "/api/auth/token",
        data={"username": username, "password": PASSWORD},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def create_app_with_page_cap() -> FastAPI:
    """The service's app; DATA_DIR/max_pages caps the database, DATA_DIR/read_only
    makes it read-only (see the module doc)."""
    app = create_app()
    runtime: Runtime = app.state.runtime
    cap_file = runtime.settings.data_dir / CAP_FILE

    read_only = runtime.settings.data_dir / READ_ONLY_FILE

    @event.listens_for(runtime.engine, "checkout")
    def _cap(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        try:
            pages = int(cap_file.read_text())
        except (FileNotFoundError, ValueError):
            pages = NO_CAP
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.execute(f"PRAGMA query_only = {int(read_only.exists())}")
        cur.close()

    return app


# the `pathways` command, run from the interpreter (imports follow the working directory)
PATHWAYS = [
    sys.executable,
    "-c",
    "import sys; from cli.main import app; sys.argv[0] = 'pathways'; app()",
]


def process_children(pid: int) -> list[int]:
    """Live (not zombie) child processes of `pid` (Linux /proc)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        state = _stat(int(entry.name))
        if state is not None and state[1] == pid and state[0] != "Z":
            found.append(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    state = _stat(pid)
    return state is not None and state[0] not in ("Z", "X")


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


@dataclass
class Serve:
    """`pathways serve ARGS` in its own session, its output in a log file."""

    env: dict[str, str]
    port: int
    args: tuple[str, ...] = ()
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Serve:
        fd, name = tempfile.mkstemp(prefix="pathways-serve-", suffix=".log")
        self.log_path = Path(name)
        with os.fdopen(fd, "wb") as log:
            self.process = subprocess.Popen(
                [*PATHWAYS, "serve", "--port", str(self.port), "--no-access-log", *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def wait_ready(self, workers: int = 1, timeout: float = 120.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                up = httpx.get(self.base_url + "/api/health", timeout=2).status_code == 200
            except httpx.TransportError:
                up = False
            if up and self.log().count("Application startup complete") >= workers:
                return
            time.sleep(0.1)
        raise RuntimeError(f"serve not ready within {timeout:.0f} s:\n{self.log()}")

    def kill_group(self) -> None:
        """SIGKILL to everything in the session (the server, its workers): cleanup."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        self.kill_group()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
