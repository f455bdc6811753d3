"""Concurrent logins against a real server: the limits hold and memory stays bounded.

The app runs under uvicorn on loopback (in a thread of this process, so the test can
count the password checks the server really runs) on an SQLite file, with argon2 at
32 MiB per check. Clients fire their guesses at once over real connections.

- a per-account limit of 5 must mean 5 password checks, however many guesses arrive
  together (before: every concurrent guess was checked, so a burst of 24 wrong and
  1 right password got a token);
- the password checks running at once never exceed LOGIN_MAX_CONCURRENT_CHECKS, and a
  login that would have to queue beyond LOGIN_MAX_QUEUED_CHECKS gets a quick 503 with
  Retry-After (before: one thread per guess, 64 MiB each, the server grew by GBs).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from api.main import create_app
from api.runtime import Runtime
from api.settings import load_settings
from models.users import Role, User
from tests.utils.live import ThreadServer, rss_bytes, run_async, serve_in_thread

pytestmark = pytest.mark.slow

PASSWORD = "the-right-password-1"
MIB = 1024 * 1024
ARGON2_KIB = 32 * 1024
BOUND = 2
QUEUED = 4


@dataclass
class Counted:
    """Password checks the server ran: how many, and the most at one moment."""

    calls: int = 0
    running: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Live:
    server: ThreadServer
    runtime: Runtime
    checks: Counted


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=None,
        secret_key="burst-test-secret-" + "k" * 32,
        argon2_time_cost=2,
        argon2_memory_kib=ARGON2_KIB,
        sqlite_synchronous="NORMAL",
        login_max_concurrent_checks=BOUND,
        login_max_queued_checks=QUEUED,
    )
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    one_hash = runtime.passwords.hash(PASSWORD)  # one costly hash shared by every account
    with Session(runtime.engine) as s:
        for name in ["victim", *(f"pupil{n}" for n in range(12))]:
            s.add(User(username=name, role=Role.student, password_hash=one_hash))
        s.commit()
    checks = Counted()
    original = runtime.passwords.verify

    def counted_verify(password_hash: str, password: str) -> bool:
        with checks.lock:
            checks.calls += 1
            checks.running += 1
            checks.peak = max(checks.peak, checks.running)
        try:
            return original(password_hash, password)
        finally:
            with checks.lock:
                checks.running -= 1

    runtime.passwords.verify = counted_verify  # type: ignore[method-assign]
    try:
        with serve_in_thread(app) as server:
            yield Live(server, runtime, checks)
    finally:
        runtime.jobs.shutdown()
        runtime.engine.dispose()


class RssSampler:
    """Peak resident memory of this process (the server's) while the block runs."""

    def __init__(self) -> None:
        self.baseline = rss_bytes()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def grew_mib(self) -> float:
        return (self.peak - self.baseline) / MIB


def _client(base_url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120)


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": username, "password": password})


def test_a_burst_of_wrong_guesses_then_the_right_one_gets_no_token(live: Live) -> None:
    async def burst() -> tuple[list[httpx.Response], httpx.Response]:
        async with _client(live.server.base_url) as client:
            refused = asyncio.Event()

            async def guess(n: int) -> httpx.Response:
                reply = await _login(client, "victim", f"wrong-guess-{n}")
                if reply.status_code == 429:
                    refused.set()
                return reply

            wrong = [asyncio.create_task(guess(n)) for n in range(24)]
            # The right password goes last, while the wrong ones are still being
            # checked (a refusal shows the server has counted them already).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(refused.wait(), 1.0)
            right = await _login(client, "victim", PASSWORD)
            return [await t for t in wrong], right

    wrong, right = run_async(burst())
    codes = [r.status_code for r in [*wrong, right]]
    tokens = codes.count(200)
    print(f"burst 24 wrong + 1 right: tokens issued {tokens}, password checks {live.checks.calls}")
    assert tokens == 0, codes
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    assert sorted(r.status_code for r in wrong) == [401] * 5 + [429] * 19
    assert live.checks.calls == 5


def test_thirty_concurrent_wrong_guesses_get_five_checks_and_bounded_memory(live: Live) -> None:
    async def burst() -> list[httpx.Response]:
        async with _client(live.server.base_url) as client:
            return list(
                await asyncio.gather(*(_login(client, "victim", f"bad-{n}") for n in range(30)))
            )

    with RssSampler() as rss:
        replies = run_async(burst())
    codes = sorted(r.status_code for r in replies)
    print(
        f"30 concurrent wrong guesses: {codes.count(401)} checked, {codes.count(429)} refused; "
        f"peak checks at once {live.checks.peak}; memory grew {rss.grew_mib:.0f} MiB"
    )
    assert codes == [401] * 5 + [429] * 25
    assert live.checks.calls == 5
    assert live.checks.peak <= BOUND
    assert rss.grew_mib < 6 * ARGON2_KIB / 1024  # 30 checks at once would be 960 MiB


def test_checks_at_once_are_bounded_and_an_overflow_is_told_to_retry(live: Live) -> None:
    """Twelve students log in at the same moment: two checks run, four wait, the rest
    are told to come back in a second instead of queueing without limit."""

    async def burst() -> list[tuple[httpx.Response, float]]:
        async with _client(live.server.base_url) as client:

            async def timed(n: int) -> tuple[httpx.Response, float]:
                began = time.perf_counter()
                reply = await _login(client, f"pupil{n}", "a-typo-password")
                return reply, time.perf_counter() - began

            return list(await asyncio.gather(*(timed(n) for n in range(12))))

    with RssSampler() as rss:
        replies = run_async(burst())
    busy = [(r, t) for r, t in replies if r.status_code == 503]
    print(
        f"12 logins at once: peak checks {live.checks.peak} (bound {BOUND}), {len(busy)} told "
        f"to retry, memory grew {rss.grew_mib:.0f} MiB"
    )
    assert live.checks.peak <= BOUND
    assert {r.status_code for r, _ in replies} <= {401, 503}
    assert busy, "twelve at once with room for six: some must be turned away"
    for reply, _ in busy:
        assert int(reply.headers["Retry-After"]) >= 1
        assert "busy" in reply.json()["detail"]
    # turned away at once, not after waiting for a check
    assert max(t for _, t in busy) < min(t for r, t in replies if r.status_code == 401) + 0.5
    # a turned-away login is not a failed one: the account is not any closer to its limit
    assert live.checks.calls == 12 - len(busy)
