"""Start PostgreSQL, PgBouncer (transaction pooling), N `pathways serve` nodes and
HAProxy on one machine, for tests, demos and the load benchmark.

    python -m deploy.cluster start --nodes 3 --throwaway-postgres [--demo]
    python -m deploy.cluster start --nodes 2 --postgres-url postgresql://USER@HOST/DB
    python -m deploy.cluster stop --run-dir DIR

`start` writes the generated configurations (pgbouncer.ini, haproxy.cfg), the nodes'
data directories and logs into the run directory, prints the balancer's URL and stays
in the foreground until Ctrl-C or `stop`, then stops everything in reverse order. Every
node gets the same signing key (tokens issued by one are checked by the others) and the
same key-encryption key (the LTI keys one node sealed in the database the others open), the
pooler's URL, PATHWAYS_DB_PREPARED_STATEMENTS=false and HAProxy as a trusted proxy.
Ports are free ephemeral ones; PostgreSQL and PgBouncer listen on Unix sockets in the
run directory only. `Cluster` is the same thing as a Python object with the faults the
tests inject (kill -9 a node, rolling restart, restarting PgBouncer or PostgreSQL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from api.services.key_vault import generate_kek
from deploy.haproxy import HAProxy
from deploy.nodes import Node
from deploy.pgbouncer import PgBouncer, Upstream
from deploy.postgres import LocalPostgres
from deploy.processes import Account, DeployError

STATE_FILE = "cluster.json"
DRAIN_WAIT_S = 10.0


def _token() -> str:
    return secrets.token_urlsafe(48)


@dataclass
class ClusterConfig:
    nodes: int = 2
    workers: int = 1  # per node
    postgres_url: str | None = None  # None: a throwaway PostgreSQL in the run directory
    run_dir: Path | None = None  # None: a fresh temporary folder, deleted at stop
    env: Mapping[str, str] = field(default_factory=dict)  # extra settings for every node
    durable: bool = True  # throwaway PostgreSQL: fsync on (a restart loses nothing)
    pool_size: int = 20  # PgBouncer server connections
    node_pool_size: int = 10  # each node process's SQLAlchemy pool (to PgBouncer)
    demo: bool = False  # seed the demo classroom before the nodes start
    app: str | None = None  # nodes serve this uvicorn factory instead (a benchmark's peer)
    health_path: str = "/api/health"  # what HAProxy checks

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.workers < 1:
            raise DeployError(f"--nodes {self.nodes} --workers {self.workers}: both must be >= 1")


class Cluster:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self._temporary = config.run_dir is None
        self.run_dir = config.run_dir or Path(tempfile.mkdtemp(prefix="pathways-cluster-"))
        self.postgres: LocalPostgres | None = None
        self.pgbouncer: PgBouncer | None = None
        self.haproxy: HAProxy | None = None
        self.nodes: list[Node] = []
        self.secret_key = ""
        self.key_encryption_key = ""

    # -- start and stop ---------------------------------------------------------------

    def start(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        c = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o711)  # the postgres account reaches its own folders inside
        _reachable_by_servers(self.run_dir)
        if c.postgres_url is None:
            self.postgres = LocalPostgres(
                self.run_dir / "postgres", durable=c.durable, max_connections=c.pool_size + 20
            ).init()
            upstream = Upstream.from_url(self.postgres.url())
        else:
            upstream = Upstream.from_url(c.postgres_url)
        self.pgbouncer = PgBouncer(self.run_dir / "pgbouncer", upstream, pool_size=c.pool_size)
        self.pgbouncer.write_config()
        self.pgbouncer.start()
        self.secret_key = self._key("PATHWAYS_SECRET_KEY", "secret_key", _token)
        self.key_encryption_key = self._key(
            "PATHWAYS_KEY_ENCRYPTION_KEY", "key_encryption_key", generate_kek
        )
        if c.demo:
            self._seed_demo()
        env = self.node_env()
        self.nodes = [
            Node(
                i,
                self.run_dir / f"node{i}",
                env,
                workers=c.workers,
                app=c.app,
                health_path=c.health_path,
            )
            for i in range(c.nodes)
        ]
        for node in self.nodes:  # side by side; migrations queue on their lock
            node.launch()
        for node in self.nodes:
            node.wait_ready()
        self.haproxy = HAProxy(
            self.run_dir / "haproxy", [n.port for n in self.nodes], health_path=c.health_path
        )
        self.haproxy.write_config()
        self.haproxy.start()
        self._write_state()

    def _key(self, variable: str, file_name: str, generate: Callable[[], str]) -> str:
        """One key for every node: the configured one, else generated here."""
        given = self.config.env.get(variable) or os.environ.get(variable)
        if given:
            return given
        path = self.run_dir / file_name
        if not path.exists():
            path.write_text(generate())
            path.chmod(0o600)
        return path.read_text().strip()

    def node_env(self) -> dict[str, str]:
        """The environment every node runs with (see the module doc)."""
        assert self.pgbouncer is not None
        base = {k: v for k, v in os.environ.items() if k != "PATHWAYS_SERVE_PARENT_PID"}
        return {
            **base,
            "DATABASE_URL": self.pgbouncer.url(),
            "PATHWAYS_SECRET_KEY": self.secret_key,
            "PATHWAYS_KEY_ENCRYPTION_KEY": self.key_encryption_key,
            "PATHWAYS_DB_PREPARED_STATEMENTS": "false",
            "PATHWAYS_DB_POOL_SIZE": str(self.config.node_pool_size),
            "PATHWAYS_TRUSTED_PROXIES": "127.0.0.1",
            **self.config.env,
        }

    def _seed_demo(self) -> None:
        """`pathways serve --demo`'s seeding, once, before the nodes start."""
        from api.db import make_engine
        from api.demo import seed_demo
        from api.runtime import Runtime
        from api.settings import load_settings
        from models.migrate import upgrade

        assert self.pgbouncer is not None
        settings = load_settings(
            data_dir=self.run_dir / "demo",
            database_url=self.pgbouncer.url(),
            secret_key=self.secret_key,
            key_encryption_key=self.key_encryption_key,
            db_prepared_statements=False,
        )
        engine = make_engine(settings)
        try:
            upgrade(engine)
            runtime = Runtime.create(settings, engine)
            report = seed_demo(runtime)
            runtime.jobs.shutdown()
            for name, role in report.logins:
                print(f"  {role:9} {name}", file=sys.stderr)
            print(f"  password: {report.password} ({report.password_note})", file=sys.stderr)
        finally:
            engine.dispose()

    def _write_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "url": self.url,
            "nodes": [
                {"url": n.url, "pid": n.process.pid if n.process else None} for n in self.nodes
            ],
            "database_url": self.pgbouncer.url() if self.pgbouncer else None,
        }
        (self.run_dir / STATE_FILE).write_text(json.dumps(state, indent=2))

    @property
    def url(self) -> str:
        assert self.haproxy is not None, "cluster not started"
        return self.haproxy.url

    @property
    def database_url(self) -> str:
        """The database behind the pooler, for checks that must not go through it."""
        if self.postgres is not None:
            return self.postgres.url()
        assert self.config.postgres_url is not None
        return self.config.postgres_url

    def stop(self) -> None:
        """Everything, in reverse order; the run directory too if it was temporary."""
        if self.haproxy is not None:
            self.haproxy.stop()
        for node in self.nodes:
            node.stop()
        if self.pgbouncer is not None:
            self.pgbouncer.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self._temporary:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- faults and maintenance -------------------------------------------------------

    def kill_node(self, index: int) -> None:
        self.nodes[index].kill()

    def start_node(self, index: int) -> None:
        self.nodes[index].start()
        self.wait_balanced(index)

    def wait_balanced(self, index: int, timeout: float = 30.0) -> None:
        """Until HAProxy's health checks have the node UP again."""
        assert self.haproxy is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.haproxy.server_states().get(f"node{index}", "").startswith("UP"):
                return
            time.sleep(0.1)
        raise DeployError(f"node{index} not back in the balancer within {timeout:.0f} s")

    def restart_node(self, index: int) -> None:
        """Drain (no new requests), stop gracefully, start, wait for the checks, ready."""
        assert self.haproxy is not None
        self.haproxy.set_state(index, "drain")
        deadline = time.monotonic() + DRAIN_WAIT_S
        while time.monotonic() < deadline and self._sessions(index) > 0:
            time.sleep(0.05)
        self.nodes[index].stop()
        self.nodes[index].start()
        self.haproxy.set_state(index, "ready")
        self.wait_balanced(index)

    def _sessions(self, index: int) -> int:
        assert self.haproxy is not None
        lines = self.haproxy.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("svname") == f"node{index}":
                return int(row.get("scur") or 0)
        return 0

    def rolling_restart(self) -> None:
        for index in range(len(self.nodes)):
            self.restart_node(index)

    def restart_pgbouncer(self) -> None:
        assert self.pgbouncer is not None
        self.pgbouncer.restart()

    def restart_postgres(self) -> None:
        """Fast shutdown and start on the same data (a throwaway PostgreSQL only)."""
        if self.postgres is None:
            raise DeployError("restart_postgres needs --throwaway-postgres")
        self.postgres.restart()


def _reachable_by_servers(folder: Path) -> None:
    """As root, PostgreSQL and PgBouncer run as the postgres account: it must be able
    to enter every folder above the run directory."""
    if Account.for_servers().uid is None:
        return
    for part in folder.parents:
        if not part.stat().st_mode & 0o001:
            raise DeployError(
                f"--run-dir {folder}: {part} is closed to the postgres account that "
                "PostgreSQL and PgBouncer run as; choose a run directory under /tmp"
            )


# -- the command ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the set and stay in the foreground")
    start.add_argument("--nodes", type=int, default=2, help="pathways serve nodes (default 2)")
    start.add_argument("--workers", type=int, default=1, help="worker processes per node")
    where = start.add_mutually_exclusive_group(required=True)
    where.add_argument("--postgres-url", help="an existing PostgreSQL database")
    where.add_argument(
        "--throwaway-postgres", action="store_true", help="a new PostgreSQL in the run directory"
    )
    start.add_argument("--run-dir", type=Path, help="configs, logs, data (default: a temp folder)")
    start.add_argument("--demo", action="store_true", help="seed the demo classroom first")
    stop = commands.add_parser("stop", help="stop a set started with --run-dir")
    stop.add_argument("--run-dir", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "stop":
            return _stop_running(args.run_dir)
        config = ClusterConfig(
            nodes=args.nodes,
            workers=args.workers,
            postgres_url=args.postgres_url,
            run_dir=args.run_dir.resolve() if args.run_dir else None,
            demo=args.demo,
        )

        def _terminate(_sig: int, _frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _terminate)
        with Cluster(config) as cluster:
            print(f"pathways: {cluster.url}  ({config.nodes} nodes behind HAProxy)", flush=True)
            for node in cluster.nodes:
                print(f"  node{node.index}: {node.url}  log: {node.log}", flush=True)
            print(f"run directory: {cluster.run_dir}; Ctrl-C stops everything", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        return 0
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _stop_running(run_dir: Path) -> int:
    path = run_dir / STATE_FILE
    try:
        pid = int(json.loads(path.read_text())["supervisor_pid"])
    except (OSError, ValueError, KeyError) as exc:
        raise DeployError(f"{path}: no running cluster recorded ({exc})") from None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print(f"stopped the cluster of {run_dir}")
            return 0
        time.sleep(0.2)
    raise DeployError(f"cluster process {pid} still running after 90 s")


if __name__ == "__main__":
    sys.exit(main())
