"""HAProxy in front of the nodes: round robin, health checks on /api/health.

A node is taken out after two failed checks (500 ms apart) and back in after two good
ones; a request whose connection to a node fails is sent to another (`redispatch`),
never a request a node has started on. The runtime API on a Unix socket in the run
directory lets the cluster drain a node before stopping it (rolling restart).
"""

from __future__ import annotations

import shutil
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.processes import Account, DeployError, Popen, free_port, stop, wait_until

BACKEND = "nodes"


def binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise DeployError(
            "haproxy not found; install Debian's haproxy (scripts/install-system-deps.sh)"
        )
    return found


@dataclass
class HAProxy:
    folder: Path
    node_ports: list[int]
    port: int = field(default_factory=free_port)
    check_interval_ms: int = 500
    health_path: str = "/api/health"
    process: Popen | None = None

    @property
    def config(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def admin_socket(self) -> Path:
        return self.folder / "haproxy.sock"

    @property
    def log(self) -> Path:
        return self.folder / "haproxy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        servers = [
            f"    server node{i} 127.0.0.1:{port} check" for i, port in enumerate(self.node_ports)
        ]
        self.config.write_text(
            "\n".join(
                [
                    "global",
                    f"    stats socket {self.admin_socket} mode 600 level admin",
                    "    maxconn 4096",
                    "",
                    "defaults",
                    "    mode http",
                    "    option httplog",
                    "    option forwardfor",  # the nodes trust 127.0.0.1 (PATHWAYS_TRUSTED_PROXIES)
                    "    option redispatch",
                    "    retries 3",
                    "    timeout connect 2s",
                    "    timeout client 60s",
                    "    timeout server 60s",
                    "    timeout http-request 10s",
                    "",
                    "frontend pathways",
                    f"    bind 127.0.0.1:{self.port}",
                    f"    default_backend {BACKEND}",
                    "",
                    f"backend {BACKEND}",
                    "    balance roundrobin",
                    f"    option httpchk GET {self.health_path}",
                    "    http-check expect status 200",
                    f"    default-server inter {self.check_interval_ms}ms fall 2 rise 2",
                    *servers,
                    "",
                ]
            )
        )

    def start(self) -> None:
        self.process = Account().popen([binary(), "-W", "-db", "-f", str(self.config)], self.log)
        wait_until(self._up, self.process, "haproxy", self.log, timeout=30)

    def _up(self) -> bool:
        try:
            return httpx.get(self.url + self.health_path, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def command(self, line: str) -> str:
        """One command on the runtime API (e.g. `set server nodes/node0 state drain`)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(str(self.admin_socket))
            conn.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_state(self, node: int, state: str) -> None:
        """`ready`, `drain` (no new requests; checks go on) or `maint`."""
        reply = self.command(f"set server {BACKEND}/node{node} state {state}")
        if reply.strip():
            raise DeployError(f"haproxy refused to set node{node} {state}: {reply.strip()}")

    def server_states(self) -> dict[str, str]:
        """node name -> operational state as the health checks see it (UP, DOWN, ...)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == BACKEND and row.get("svname", "").startswith("node"):
                states[row["svname"]] = row.get("status", "")
        return states

    def stop(self) -> None:
        process, self.process = self.process, None
        stop(process, signal.SIGUSR1, timeout=10)  # soft stop: requests in flight finish
