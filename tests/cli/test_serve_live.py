"""`pathways serve` for real (its own process, uvicorn as configured by the command):
what goes over the wire, whose address counts, and the files it leaves on disk."""

from __future__ import annotations

import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.live_server import LiveServer

pytestmark = pytest.mark.slow

SECRET = "serve-live-secret-" + "k" * 32


class Served(LiveServer):
    """`pathways serve` on the chosen port (instead of a bare uvicorn command)."""

    def command(self) -> list[str]:
        script = Path(sys.executable).with_name("pathways")
        entry = [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]
        return [*entry, "serve", "--host", self.host, "--port", str(self.port), "--no-access-log"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "PATHWAYS_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "PATHWAYS_SECRET_KEY": SECRET,
        "PATHWAYS_ARGON2_TIME_COST": "1",
        "PATHWAYS_ARGON2_MEMORY_KIB": "64",
        "PATHWAYS_LOGIN_MAX_FAILURES_PER_IP": "3",
        "PATHWAYS_TRUSTED_PROXIES": "",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # uvicorn's default: our setting must decide
        **extra,
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    old = os.umask(0o022)  # a typical login umask: files would be world-readable
    try:
        server = Served("unused", env=_env(tmp_path / "data")).start()
    finally:
        os.umask(old)
    try:
        yield server, tmp_path / "data"
    finally:
        server.stop()


def _fail_login(base: str, n: int, forwarded: str) -> int:
    reply = httpx.post(
        base + "/api/auth/token",
        data={"username": f"nobody{n}", "password": "wrong-password"},
        headers={"X-Forwarded-For": forwarded},
    )
    return reply.status_code


def test_headers_on_the_wire(served: tuple[Served, Path]) -> None:
    server, _ = served
    reply = httpx.get(server.base_url + "/login")
    assert reply.status_code == 200
    assert "server" not in reply.headers  # no "uvicorn" banner
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "same-origin"
    assert reply.headers["x-request-id"]
    # a client cannot claim HTTPS (or anything else) through headers: no proxy is trusted
    spoofed = httpx.get(server.base_url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(
    served: tuple[Served, Path],
) -> None:
    server, _ = served
    codes = [_fail_login(server.base_url, n, f"198.51.100.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 429]  # all counted against 127.0.0.1


def test_a_trusted_proxy_passes_the_client_address_and_scheme(tmp_path: Path) -> None:
    env = _env(tmp_path / "data", PATHWAYS_TRUSTED_PROXIES="127.0.0.1")
    with Served("unused", env=env) as server:
        codes = [_fail_login(server.base_url, n, f"198.51.100.{n}") for n in range(4)]
        https = httpx.get(server.base_url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert codes == [401] * 4  # four clients behind the proxy, one failure each
    assert https.headers["strict-transport-security"].startswith("max-age=")


def test_data_files_are_private(served: tuple[Served, Path]) -> None:
    server, data = served
    assert httpx.get(server.base_url + "/api/health").status_code == 200
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    names = ["pathways.db", "pathways.db-wal", "pathways.db-shm", "secret_key"]
    modes = {n: oct(stat.S_IMODE((data / n).stat().st_mode)) for n in names if (data / n).exists()}
    assert {"pathways.db", "pathways.db-wal", "pathways.db-shm"} <= set(modes)
    assert modes == dict.fromkeys(modes, "0o600")


def test_an_oversized_body_is_refused_before_it_is_sent(served: tuple[Served, Path]) -> None:
    server, _ = served
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/practice/answers HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n{"
        )
        reply = sock.recv(65536).decode("latin1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert "application/json" in reply
