"""One keep-alive HTTP/1.1 connection that never reconnects behind the test's back.

General clients (httpx, http.client) silently open a new connection when the server
dropped the old one; this one raises `Dropped` instead, so a test can assert that a
connection survived an error reply. Sequential requests only.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


class Dropped(Exception):
    """The server closed the connection."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class KeepAlive:
    host: str
    port: int
    timeout: float = 30.0
    sock: socket.socket | None = None
    requests: int = 0
    _buffer: bytes = field(default=b"", repr=False)

    @classmethod
    def to(cls, base_url: str, timeout: float = 30.0) -> KeepAlive:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        conn = cls(host, int(port), timeout)
        conn.sock = socket.create_connection((conn.host, conn.port), timeout=timeout)
        return conn

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Reply:
        if self.sock is None:
            raise Dropped("connection already closed")
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, content_type = urlencode(form).encode(), "application/x-www-form-urlencoded"
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        try:
            self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b""))
            reply = self._read_reply()
        except OSError as exc:
            self.close()
            raise Dropped(f"{method} {path}: {exc}") from None
        self.requests += 1
        if reply.headers.get("connection", "").lower() == "close":
            self.close()
            raise Dropped(f"{method} {path}: the server closed the connection after {reply}")
        return reply

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill()
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Dropped("the server closed the connection")
        self._buffer += chunk

    def _read_reply(self) -> Reply:
        lines = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                data += self._read_exactly(size)
                self._read_exactly(2)
        else:
            data = self._read_exactly(int(headers.get("content-length", "0")))
        return Reply(status, headers, data)
