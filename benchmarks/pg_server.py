"""A throwaway PostgreSQL server for tests and benchmarks: initdb, start, URL, stop, delete.

The cluster lives in a fresh temporary folder and listens only on a Unix socket in
that folder (no TCP port to collide with). initdb and postgres refuse to run as
root, so when we are root both run as the `postgres` system user (subprocess's
`user=`/`group=`), and the folder is handed to that user. Binaries are found on PATH
or in /usr/lib/postgresql/<version>/bin (Debian's layout, newest version first), or
exactly where PATHWAYS_PG_BINDIR says.

`durable=False` (tests) turns fsync, synchronous_commit and full_page_writes off:
a crash loses a throwaway database anyway. Benchmarks keep the server defaults.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg

BINDIR_ENV = "PATHWAYS_PG_BINDIR"
PG_USER = "postgres"  # the system account the server runs as, and the superuser's name
_BINARIES = ("initdb", "postgres")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or no account to run them as."""


def find_bin_dir() -> Path:
    """Folder holding initdb and postgres; PostgresUnavailable says where we looked.

    PATHWAYS_PG_BINDIR, when set, is the only place looked at.
    """
    override = os.environ.get(BINDIR_ENV)
    if override:
        folder = Path(override)
        if all((folder / b).is_file() and os.access(folder / b, os.X_OK) for b in _BINARIES):
            return folder
        raise PostgresUnavailable(f"{BINDIR_ENV}={override}: no initdb and postgres there")
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: _version_key(p.parent.name),
        reverse=True,
    )
    candidates.extend(versions)
    for folder in candidates:
        if all((folder / b).is_file() and os.access(folder / b, os.X_OK) for b in _BINARIES):
            return folder
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, postgres) not found on PATH or in "
        "/usr/lib/postgresql/*/bin; install Debian's `postgresql` package "
        "(scripts/install-system-deps.sh does)"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def _run_as() -> tuple[str | None, int | None, int | None]:
    """(user, uid, gid) to run the server as: the postgres account when we are root."""
    if os.geteuid() != 0:
        return None, None, None
    try:
        entry = pwd.getpwnam(PG_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no {PG_USER!r} account to run PostgreSQL as"
        ) from None
    return PG_USER, entry.pw_uid, entry.pw_gid


def _others_can_enter(folder: Path) -> bool:
    """Whether another account (postgres) can reach a folder created inside `folder`."""
    for part in (folder, *folder.parents):
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


@dataclass
class PostgresServer:
    """One running throwaway cluster; use as a context manager or call start()/stop()."""

    durable: bool = True
    max_connections: int = 200
    settings: dict[str, str] = field(default_factory=dict)
    root: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None, "server not started"
        return self.root / "run"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "server not started"
        return self.root / "server.log"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL of a database on this server (Unix socket, trust auth)."""
        return f"{driver}://{PG_USER}@/{database}?host={self.socket_dir}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} user={PG_USER} dbname={database}"

    def start(self) -> PostgresServer:
        bin_dir = find_bin_dir()
        user, uid, gid = _run_as()
        base = None if uid is None or _others_can_enter(Path(tempfile.gettempdir())) else "/tmp"
        self.root = Path(tempfile.mkdtemp(prefix="pathways-pg-", dir=base))
        data = self.root / "data"
        self.socket_dir.mkdir()
        if uid is not None and gid is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, uid, gid)
        groups: list[int] | None = [] if uid is not None else None  # drop root's groups
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            capture_output=True,
            env=env,
            cwd=self.root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if init.returncode != 0:
            self._remove()
            raise RuntimeError(
                f"initdb failed ({init.returncode}) as user {user or 'current'}:\n"
                + init.stderr.decode(errors="replace")[-3000:]
            )
        options = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": str(self.max_connections),
            "logging_collector": "off",
            **(
                {}
                if self.durable
                else {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
            ),
            **self.settings,
        }
        args = [str(bin_dir / "postgres"), "-D", str(data)]
        for key, value in options.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.log_path, "wb")  # noqa: SIM115  (the server writes it while running)
        try:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.root,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to forward
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        finally:
            log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        last: Exception | None = None
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            try:
                with psycopg.connect(self.conninfo(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.05)
        raise RuntimeError(
            f"postgres did not accept connections within {START_TIMEOUT_S:.0f} s ({last}):\n"
            + self.log_tail()
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except (OSError, AssertionError):
            return "(no server log)"

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE (dropping an old one of that name); returns its SQLAlchemy URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back sessions, checkpoint), then delete the folder."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGQUIT)  # immediate shutdown
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._remove()

    def _remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
