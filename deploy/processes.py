"""What the deploy pieces share: free ports, running as the postgres account when we
are root (PostgreSQL and PgBouncer refuse root), waiting and stopping processes."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVICE_ACCOUNT = "postgres"  # what PostgreSQL and PgBouncer run as when we are root


class DeployError(RuntimeError):
    """A piece of the deployment is missing or did not start; the message says which."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's choice of an ephemeral one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Account:
    """Who a server runs as: ourselves, or the postgres account when we are root."""

    uid: int | None = None
    gid: int | None = None

    @classmethod
    def for_servers(cls) -> Account:
        if os.geteuid() != 0:
            return cls()
        try:
            entry = pwd.getpwnam(SERVICE_ACCOUNT)
        except KeyError:
            raise DeployError(
                f"running as root and there is no {SERVICE_ACCOUNT!r} account to run "
                "PostgreSQL and PgBouncer as"
            ) from None
        return cls(entry.pw_uid, entry.pw_gid)

    def own(self, *paths: Path) -> None:
        """Hand folders we created to the account (nothing to do when it is us)."""
        if self.uid is None or self.gid is None:
            return
        for path in paths:
            os.chown(path, self.uid, self.gid)

    def popen(self, args: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Popen:
        with open(log, "ab") as out:
            return subprocess.Popen(
                list(args),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=log.parent,
                start_new_session=True,  # our signals only, never the terminal's
                user=self.uid,
                group=self.gid,
                extra_groups=[] if self.uid is not None else None,
            )


Popen = subprocess.Popen[bytes]


def wait_until(
    ready: Callable[[], bool], process: Popen, what: str, log: Path, timeout: float
) -> None:
    """Poll `ready` until it holds; DeployError with the log's tail if the process exits
    or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeployError(f"{what} exited with {process.returncode}:\n{tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise DeployError(f"{what} not ready within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def stop(process: Popen | None, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Send `sig`, wait, then SIGKILL the process group if it is still there."""
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    kill_group(process)


def kill_group(process: Popen) -> None:
    """SIGKILL to the process and everything in its session (a node's workers)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
