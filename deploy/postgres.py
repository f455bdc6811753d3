"""A PostgreSQL cluster in a folder of the run directory, for `--throwaway-postgres`.

Unlike the tests' throwaway server (`benchmarks.pg_server`, which deploy does not
import) it can be stopped and started again on the same data: the fault tests restart
PostgreSQL under load. It listens on a Unix socket in its folder only. Binaries come
from PATHWAYS_PG_BINDIR, PATH or /usr/lib/postgresql/<version>/bin (newest first).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from deploy.processes import Account, DeployError, Popen, stop, wait_until

BINDIR_ENV = "PATHWAYS_PG_BINDIR"
SUPERUSER = "postgres"
DATABASE = "pathways"
PORT = 5432  # only names the socket file: there is no TCP listener


def bin_dir() -> Path:
    override = os.environ.get(BINDIR_ENV)
    found = shutil.which("initdb")
    candidates = [Path(override)] if override else []
    if not override:
        if found:
            candidates.append(Path(found).resolve().parent)
        candidates += sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
            reverse=True,
        )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise DeployError(
        "PostgreSQL server binaries (initdb, postgres) not found"
        + (f" in {BINDIR_ENV}={override}" if override else " on PATH or in /usr/lib/postgresql")
        + "; install Debian's postgresql (scripts/install-system-deps.sh)"
    )


@dataclass
class LocalPostgres:
    folder: Path
    max_connections: int = 100
    durable: bool = True
    account: Account = field(default_factory=Account.for_servers)
    process: Popen | None = None

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def conninfo(self, database: str = DATABASE) -> str:
        return f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname={database}"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def init(self) -> LocalPostgres:
        """initdb, start, CREATE DATABASE pathways."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)  # trust auth: owner (and root) only
        self.socket_dir.chmod(0o700)
        self.account.own(self.folder, self.socket_dir)
        done = subprocess.run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            capture_output=True,
            cwd=self.folder,
            env={**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"},
            user=self.account.uid,
            group=self.account.gid,
            extra_groups=[] if self.account.uid is not None else None,
        )
        if done.returncode != 0:
            raise DeployError(f"initdb failed ({done.returncode}):\n{done.stderr.decode()[-3000:]}")
        self.start()
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return self

    def start(self) -> None:
        options = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "port": str(PORT),
            "max_connections": str(self.max_connections),
            **({} if self.durable else {"fsync": "off", "synchronous_commit": "off"}),
        }
        args = [str(bin_dir() / "postgres"), "-D", str(self.data_dir)]
        for key, value in options.items():
            args += ["-c", f"{key}={value}"]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
        self.process = self.account.popen(args, self.log, env)
        wait_until(self._accepts, self.process, "postgres", self.log, timeout=60)

    def _accepts(self) -> bool:
        try:
            with psycopg.connect(self.conninfo("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Fast shutdown: SIGINT rolls back open transactions and checkpoints."""
        process, self.process = self.process, None
        stop(process, signal.SIGINT, timeout=60)

    def restart(self) -> None:
        self.stop()
        self.start()
