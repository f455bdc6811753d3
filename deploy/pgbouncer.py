"""PgBouncer in transaction pooling mode in front of one PostgreSQL database.

Clients (the nodes) reach it on a Unix socket in its folder. Transaction mode hands
each transaction any server connection, so the service must keep no session state
on one (docs/DEPLOYMENT.md, "Under PgBouncer's transaction pooling"); the nodes run
with PATHWAYS_DB_PREPARED_STATEMENTS=false because Debian 12's PgBouncer (1.18)
predates prepared-statement tracking (1.21).
"""

from __future__ import annotations

import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from deploy.processes import Account, DeployError, Popen, stop, wait_until

PORT = 6432  # names the socket file (.s.PGSQL.6432); no TCP listener


@dataclass(frozen=True)
class Upstream:
    """Where PgBouncer connects: parsed from a postgresql:// URL."""

    host: str
    port: int
    database: str
    user: str
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Upstream:
        parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
        if parts.scheme not in ("postgresql", "postgres"):
            raise DeployError(f"--postgres-url {url!r}: expected postgresql://USER@HOST/DB")
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or ""])[0]
        port = int(query.get("port", [str(parts.port or 5432)])[0])
        database = parts.path.lstrip("/")
        if not host or not database or not parts.username:
            raise DeployError(f"--postgres-url {url!r}: needs a user, a host and a database")
        password = unquote(parts.password) if parts.password else None
        return cls(host, port, database, unquote(parts.username), password)

    def line(self) -> str:
        words = f"host={self.host} port={self.port} dbname={self.database} user={self.user}"
        return words + (f" password={self.password}" if self.password else "")


def binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None:
        raise DeployError(
            "pgbouncer not found; install Debian's pgbouncer (scripts/install-system-deps.sh)"
        )
    return found


@dataclass
class PgBouncer:
    folder: Path
    upstream: Upstream
    pool_size: int = 20
    max_client_conn: int = 2000
    account: Account = field(default_factory=Account.for_servers)
    process: Popen | None = None

    @property
    def config(self) -> Path:
        return self.folder / "pgbouncer.ini"

    @property
    def log(self) -> Path:
        return self.folder / "pgbouncer.log"

    def url(self) -> str:
        """The URL the nodes use (the database keeps its name behind the pooler)."""
        return f"postgresql://{self.upstream.user}@/{self.upstream.database}?host={self.folder}&port={PORT}"

    def write_config(self) -> None:
        # 0700: clients are trusted on the socket, so only its owner (and root) may reach it
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        users = self.folder / "userlist.txt"
        users.write_text(f'"{self.upstream.user}" ""\n')
        users.chmod(0o600)
        self.config.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"{self.upstream.database} = {self.upstream.line()}",
                    "",
                    "[pgbouncer]",
                    "listen_addr =",
                    f"listen_port = {PORT}",
                    f"unix_socket_dir = {self.folder}",
                    "auth_type = trust",
                    f"auth_file = {users}",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    f"max_client_conn = {self.max_client_conn}",
                    "server_reset_query =",
                    "server_check_delay = 1",
                    # default 15 s: how long a failed login to PostgreSQL (while it
                    # restarts) keeps every client waiting before the next try
                    "server_login_retry = 1",
                    "ignore_startup_parameters = extra_float_digits,options",
                    f"pidfile = {self.folder / 'pgbouncer.pid'}",
                    "",
                ]
            )
        )
        self.config.chmod(0o600)
        self.account.own(self.folder, users, self.config)

    def start(self) -> None:
        self.process = self.account.popen([binary(), str(self.config)], self.log)
        wait_until(self._accepts, self.process, "pgbouncer", self.log, timeout=30)

    def conninfo(self) -> str:
        up = self.upstream
        return f"host={self.folder} port={PORT} user={up.user} dbname={up.database}"

    def _accepts(self) -> bool:
        """A query through the pooler reaches the database."""
        try:
            with psycopg.connect(self.conninfo(), connect_timeout=2, prepare_threshold=None) as c:
                c.execute("SELECT 1")
                return True
        except psycopg.Error:
            return False

    def stop(self) -> None:
        """SIGTERM: immediate shutdown (open client connections are cut)."""
        process, self.process = self.process, None
        stop(process, signal.SIGTERM)

    def restart(self) -> None:
        self.stop()
        self.start()
