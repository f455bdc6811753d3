"""The load benchmark's client side: simulated students in their own processes.

Each process runs an asyncio loop with one keep-alive HTTP/1.1 connection per
simulated student, written against the socket directly: a general client (httpx)
spends about a millisecond of CPU per request, which on a 2-core machine shared
with the server would measure the client. Every process reports its own CPU time,
so the report shows what the harness cost.

A phase has a common wall-clock start for all processes, a warm-up, then the
measured window. A student checks the clock only before starting a loop, so the
loop in flight when the window closes still completes and is acknowledged; every
write the server acknowledged is returned for the lost/duplicate check.
Throughput counts loops that *finished* inside the window; latency is recorded
for loops that started and finished inside it.

A busy server sheds load with 503 and Retry-After (api.overload): the student waits
that long (plus a little jitter) and sends the same request again - for an answer the
same body, so the same idempotency key. Each 503 is counted as shed; a loop's latency
is that of the attempt that was served (the wait is reported as shed, not hidden in
the latency).
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["service", "bare"]
MAX_ERROR_SAMPLES = 5
CORRECT_RATE = 0.7  # share of answers a simulated student gets right
MAX_SHED_RETRIES = 50  # a request refused this often in a row counts as an error


class HttpError(Exception):
    """The connection broke or the reply was not HTTP we can read."""


class Connection:
    """One keep-alive HTTP/1.1 connection; requests on it are sequential."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.retry_after: float | None = None  # the last reply's Retry-After, seconds
        self.served_s = 0.0  # how long the last request that was not shed took

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader, self._writer = reader, writer
        return reader, writer

    async def request(
        self, method: str, path: str, headers: str = "", body: bytes | None = None
    ) -> tuple[int, bytes]:
        if self._reader is None or self._writer is None:
            reader, writer = await self._open()
        else:
            reader, writer = self._reader, self._writer
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            writer.write(head.encode("latin-1") + b"\r\n" + (body or b""))
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, chunked, close = 0, False, False
            self.retry_after = None
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"retry-after":
                    self.retry_after = float(value.strip() or 1)
                elif name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    close = b"close" in value.lower()
            data = await (_read_chunked(reader) if chunked else reader.readexactly(length))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(out)
        out += await reader.readexactly(size)
        await reader.readexactly(2)


@dataclass(frozen=True)
class Student:
    user_id: int
    token: str


@dataclass(frozen=True)
class Phase:
    """What every student does, and when (wall-clock times shared by all processes)."""

    kind: Kind
    start: float  # time.time() at which students begin (the warm-up starts)
    warmup: float
    seconds: float
    pace: tuple[float, float] | None = None  # think time before each loop; None: none
    # service loop: take the next item from the answer's reply (as the web front end
    # does); False: also GET /api/practice/next after every answer
    follow_reply: bool = True

    @property
    def window(self) -> tuple[float, float]:
        begin = self.start + self.warmup
        return begin, begin + self.seconds


@dataclass
class Outcome:
    """One process's results for one phase."""

    loops: int = 0  # finished inside the window
    latencies_ms: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    shed: int = 0  # 503 replies (busy: Retry-After), each followed by a resend
    served: int = 0  # replies that were not shed
    unrecorded: int = 0  # answers the service could not read (not logged)
    acked: list[tuple[int, str, int]] = field(default_factory=list)  # (user, key, row id)
    cpu_s: float = 0.0

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(text[:300])


def run_phase(
    host: str,
    port: int,
    students: list[Student],
    phase: Phase,
    answers: dict[str, tuple[str, str]],
    seed: int,
) -> Outcome:
    """Entry point of a client process: run `phase` for these students."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcome = asyncio.run(_run(host, port, students, phase, answers, seed))
    after = resource.getrusage(resource.RUSAGE_SELF)
    outcome.cpu_s = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return outcome


async def _run(
    host: str,
    port: int,
    students: list[Student],
    phase: Phase,
    answers: dict[str, tuple[str, str]],
    seed: int,
) -> Outcome:
    outcome = Outcome()
    delay = phase.start - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    rng = random.Random(seed)
    loop = _service_student if phase.kind == "service" else _bare_student
    await asyncio.gather(
        *(
            loop(Connection(host, port), s, phase, answers, random.Random(rng.random()), outcome)
            for s in students
        )
    )
    return outcome


def _count(outcome: Outcome, phase: Phase, began: float, took_s: float) -> None:
    low, high = phase.window
    finished = began + took_s
    if low <= finished < high:
        outcome.loops += 1
    if began >= low and finished < high:
        outcome.latencies_ms.append(took_s * 1000.0)


async def _think(phase: Phase, rng: random.Random, first: bool) -> None:
    if phase.pace is None:
        return
    low, high = phase.pace
    # the first wait is spread over the whole range, so students do not start in step
    await asyncio.sleep(rng.uniform(0.0, high) if first else rng.uniform(low, high))


async def _service_student(
    conn: Connection,
    student: Student,
    phase: Phase,
    answers: dict[str, tuple[str, str]],
    rng: random.Random,
    outcome: Outcome,
) -> None:
    auth = f"Authorization: Bearer {student.token}\r\n"
    _, end = phase.window
    try:
        current = await _next_item(conn, auth, outcome, rng)
        first = True
        while current is not None:
            await _think(phase, rng, first)
            first = False
            if time.time() >= end:
                break
            right, wrong = answers[current]
            key = uuid.uuid4().hex
            body = json.dumps(
                {
                    "item_id": current,
                    "answer": right if rng.random() < CORRECT_RATE else wrong,
                    "idempotency_key": key,
                }
            ).encode()
            began, _, status, data = await _send(
                conn, "POST", "/api/practice/answers", auth, body, outcome, rng
            )
            took = conn.served_s  # the served attempt, not the waits before it
            if status != 200:
                outcome.error(f"answer {status}: {data[:200]!r}")
                current = await _next_item(conn, auth, outcome, rng)
                continue
            reply = json.loads(data)
            if reply.get("recorded"):
                outcome.acked.append((student.user_id, key, int(reply["response_id"])))
            else:
                outcome.unrecorded += 1
            offered = (reply.get("next") or {}).get("recommended")
            if phase.follow_reply and offered is not None:
                current = str(offered["item"]["id"])
            else:
                current = await _next_item(conn, auth, outcome, rng)
                took += conn.served_s
            _count(outcome, phase, began, took)
    except HttpError as exc:
        outcome.error(str(exc))
    finally:
        conn.close()


async def _send(
    conn: Connection,
    method: str,
    path: str,
    headers: str,
    body: bytes | None,
    outcome: Outcome,
    rng: random.Random,
) -> tuple[float, float, int, bytes]:
    """(wall start, perf start, status, body) of the attempt that was not shed: a 503
    is answered by waiting Retry-After (+ jitter) and sending the same request again."""
    for _ in range(MAX_SHED_RETRIES):
        began, t0 = time.time(), time.perf_counter()
        status, data = await conn.request(method, path, headers, body)
        outcome.requests += 1
        if status != 503 or conn.retry_after is None:
            outcome.served += 1
            conn.served_s = time.perf_counter() - t0
            return began, t0, status, data
        outcome.shed += 1
        await asyncio.sleep(conn.retry_after * (1.0 + 0.5 * rng.random()))
    return began, t0, status, data


async def _next_item(
    conn: Connection, auth: str, outcome: Outcome, rng: random.Random | None = None
) -> str | None:
    _, _, status, data = await _send(
        conn, "GET", "/api/practice/next", auth, None, outcome, rng or random.Random()
    )
    if status != 200:
        outcome.error(f"next {status}: {data[:200]!r}")
        return None
    recommended = json.loads(data).get("recommended")
    if recommended is None:
        outcome.error("next: nothing recommended")
        return None
    return str(recommended["item"]["id"])


async def _bare_student(
    conn: Connection,
    student: Student,
    phase: Phase,
    answers: dict[str, tuple[str, str]],
    rng: random.Random,
    outcome: Outcome,
) -> None:
    _, end = phase.window
    first = True
    try:
        while True:
            await _think(phase, rng, first)
            first = False
            if time.time() >= end:
                break
            key = uuid.uuid4().hex
            body = json.dumps({"client": student.user_id, "key": key, "payload": "3/4"}).encode()
            began, t0 = time.time(), time.perf_counter()
            status, data = await conn.request("POST", "/bare", "", body)
            outcome.requests += 1
            if status != 200:
                outcome.error(f"bare {status}: {data[:200]!r}")
                continue
            outcome.acked.append((student.user_id, key, int(json.loads(data)["id"])))
            _count(outcome, phase, began, time.perf_counter() - t0)
    except HttpError as exc:
        outcome.error(str(exc))
    finally:
        conn.close()
