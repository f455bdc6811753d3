"""Clean failures over one keep-alive connection to a real server (uvicorn, SQLite file).

Before, each of these was a plain-text 500 and the server dropped the connection:

- a full disk: the answer is a JSON 503 saying the storage is full (Retry-After), and
  /api/health says so too; once there is room again the same answer, resent with the
  same idempotency key, is stored once. The disk is a small tmpfs when this process
  may mount one (root), else a full database is simulated with SQLite's
  `PRAGMA max_page_count` (tests.utils.live_service.create_app_with_page_cap; also
  with PATHWAYS_TEST_NO_MOUNT=1);
- an item CSV with a cell over the csv module's 128 KiB limit: 422 naming the row;
- `random_state` beyond 64 bits, or `false`, in POST /api/fits: 422;
- the database turning read-only under the running server (`PRAGMA query_only`):
  a login and an answer are a JSON 503 saying the storage is read-only.

All requests go over ONE connection that never reconnects (tests.utils.keepalive):
after every error reply it must still carry the next request.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.live_server import LiveServer
from tests.utils.curriculum import RIGHT
from tests.utils.keepalive import KeepAlive, Reply
from tests.utils.live_service import CAP_FILE, READ_ONLY_FILE, seed, service_env, token

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


@dataclass
class Disk:
    """A data directory whose storage a test can fill up and free again."""

    data_dir: Path
    how: str  # "tmpfs" | "max_page_count"
    filler: Path | None = None

    @property
    def database(self) -> Path:
        return self.data_dir / "pathways.db"

    def fill(self) -> None:
        if self.how == "max_page_count":
            (self.data_dir / CAP_FILE).write_text("1")  # "no room to grow"
            return
        # the write-ahead log emptied first, so the next write must grow a file
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.filler = self.data_dir.parent / "filler"
        with open(self.filler, "wb") as fh, contextlib.suppress(OSError):  # ENOSPC: full
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()

    def free(self) -> None:
        if self.how == "max_page_count":
            (self.data_dir / CAP_FILE).unlink()
        elif self.filler is not None:
            self.filler.unlink()


def _mount_tmpfs(where: Path, size_mib: int) -> bool:
    if os.geteuid() != 0 or os.environ.get("PATHWAYS_TEST_NO_MOUNT"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(where)],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    mount = tmp_path / "small-disk"
    mounted = _mount_tmpfs(mount, 24)
    root = mount if mounted else tmp_path
    try:
        yield Disk(root / "data", "tmpfs" if mounted else "max_page_count")
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _answer(conn: KeepAlive, headers: dict[str, str], key: str) -> Reply:
    body = {"item_id": "ad1", "answer": RIGHT["ad1"], "idempotency_key": key}
    return conn.request("POST", "/api/practice/answers", headers=headers, json_body=body)


def _multipart(name: str, text: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n"
    ).encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _stored(database: Path, key: str) -> int:
    with contextlib.closing(sqlite3.connect(database)) as db:
        row = db.execute("SELECT count(*) FROM response_log WHERE idempotency_key = ?", (key,))
        return int(row.fetchone()[0])


def test_errors_are_clean_and_the_connection_survives_them(disk: Disk) -> None:
    env = service_env(disk.data_dir)
    seeded = seed(env)
    factory = "tests.utils.live_service:create_app_with_page_cap"
    with LiveServer(factory, env=env) as server:
        student = token(server.base_url, "s0")
        designer = token(server.base_url, seeded.designer)
        with KeepAlive.to(server.base_url) as conn:
            assert _answer(conn, student, "before-full").status == 200

            # a full disk: some answer soon finds no room; a JSON 503 says so
            disk.fill()
            refused = None
            for n in range(60):
                key = f"while-full-{n}"
                reply = _answer(conn, student, key)
                if reply.status != 200:
                    refused = (key, reply)
                    break
            assert refused is not None, f"nothing refused on a full disk ({disk.how})"
            key, reply = refused
            assert reply.status == 503, (reply.status, reply.text)
            assert reply.headers["content-type"] == "application/json"
            assert "full" in reply.json()["detail"]
            assert int(reply.headers["retry-after"]) > 0
            health = conn.request("GET", "/api/health")
            assert health.status == 503, health.text
            assert health.json()["storage"]["problem"] == "full"

            # a cell over 128 KiB: 422 naming the row
            big = 'item_id,skill_ids,type,prompt,answer\nbig1,add,numeric,"' + "x" * 140_000
            body, ctype = _multipart("bank.csv", big + '",1\n')
            reply = conn.request(
                "POST", "/api/content/import", headers=designer, body=body, content_type=ctype
            )
            assert reply.status == 422, reply.text
            assert "row 2" in reply.json()["detail"] and "128 KiB" in reply.json()["detail"]

            # seeds beyond 64 bits, or a boolean: 422
            for seed_value in (2**64, 2**100, False):
                reply = conn.request(
                    "POST", "/api/fits", headers=designer, json_body={"random_state": seed_value}
                )
                assert reply.status == 422, (seed_value, reply.text)
                assert "random_state" in reply.json()["detail"]

            # room again: the refused answer, resent with its key, is stored once
            disk.free()
            again = _answer(conn, student, key)
            assert again.status == 200, again.text
            assert again.json()["recorded"] is True
            assert _answer(conn, student, key).json() == again.json()
            assert conn.request("GET", "/api/health").json()["storage"]["ok"] is True

            # the database turns read-only while the server runs: logins and answers say so
            (disk.data_dir / READ_ONLY_FILE).touch()
            login = conn.request(
                "POST", "/api/auth/token", form={"username": "s0", "password": "wrong-pw-1"}
            )
            assert login.status == 503 and "read-only" in login.json()["detail"], login.text
            reply = _answer(conn, student, "while-read-only")
            assert reply.status == 503 and "read-only" in reply.json()["detail"], reply.text
            assert conn.request("GET", "/api/health").json()["storage"]["problem"] == "read_only"
            (disk.data_dir / READ_ONLY_FILE).unlink()
            assert _answer(conn, student, "while-read-only").status == 200
            assert conn.requests >= 14
    assert _stored(disk.database, key) == 1
