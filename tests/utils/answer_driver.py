"""Students answering continuously through a load balancer, retrying with their keys.

One thread per student, each with its own HTTP client: answer, and on any error,
timeout or non-200 reply send the same answer again with the same idempotency key
(after a short pause) until it is acknowledged; only then the next answer. That is
what a well-behaved client does, so whatever the service does during a fault, every
acknowledged answer must be stored exactly once, and a retry that reaches a stored
answer must get the first reply (same response id).

Every attempt is recorded (time, success), so a test can say what error rate the
clients saw in a window and when the errors stopped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.utils.curriculum import RIGHT, WRONG

ITEMS = ("eq1", "eq2", "eq3", "ad1", "ad2", "ad3", "mu1", "mu2", "mu3")
RETRY_PAUSE_S = 0.1
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Attempt:
    at: float  # time.monotonic()
    ok: bool
    status: int | None  # None: no HTTP reply (connection refused or cut, timeout)


@dataclass
class Student:
    name: str
    token: str
    acked: dict[str, int] = field(default_factory=dict)  # key -> response id of the reply
    pending: str | None = None  # the key being sent and not acknowledged yet
    attempts: list[Attempt] = field(default_factory=list)
    retried: int = 0  # acknowledgements that took more than one attempt


class AnswerDriver:
    def __init__(self, base_url: str, students: dict[str, str]) -> None:
        """`students`: username -> bearer token."""
        self.base_url = base_url
        self.students = [Student(name, token) for name, token in students.items()]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # The students' threads append while the test reads what they saw mid-run.
        self._seen = threading.Lock()

    def start(self) -> AnswerDriver:
        for student in self.students:
            thread = threading.Thread(target=self._run, args=(student,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Ask every student to stop after the answer in hand is acknowledged."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t for t in self._threads if t.is_alive()]
        if stuck:
            raise AssertionError(f"{len(stuck)} students still retrying after {timeout:.0f} s")

    def _run(self, student: Student) -> None:
        headers = {"Authorization": f"Bearer {student.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=TIMEOUT_S) as client:
            n = 0
            while not self._stop.is_set():
                item = ITEMS[n % len(ITEMS)]
                text = WRONG[item] if n % 3 == 2 else RIGHT[item]  # some wrong answers too
                self._send(client, student, f"{student.name}-{n}", item, text)
                n += 1

    def _send(self, client: httpx.Client, student: Student, key: str, item: str, text: str) -> None:
        student.pending = key
        body = {"item_id": item, "answer": text, "idempotency_key": key}
        tries = 0
        while True:
            tries += 1
            status: int | None = None
            try:
                reply = client.post("/api/practice/answers", json=body)
                status = reply.status_code
                if status == 200:
                    data = reply.json()
                    if data.get("recorded") and isinstance(data.get("response_id"), int):
                        with self._seen:
                            student.attempts.append(Attempt(time.monotonic(), True, status))
                            student.acked[key] = data["response_id"]
                        student.pending = None
                        student.retried += tries > 1
                        return
            except (httpx.TransportError, ValueError):
                pass
            with self._seen:
                student.attempts.append(Attempt(time.monotonic(), False, status))
            time.sleep(RETRY_PAUSE_S)

    # -- what the clients saw -------------------------------------------------------

    def attempts(self) -> list[Attempt]:
        with self._seen:
            seen = [a for s in self.students for a in s.attempts]
        return sorted(seen, key=lambda a: a.at)

    def acknowledged(self) -> dict[tuple[str, str], int]:
        """(username, key) -> response id, of every acknowledged answer."""
        with self._seen:
            return {(s.name, k): rid for s in self.students for k, rid in s.acked.items()}

    def window(self, start: float, end: float) -> tuple[int, int]:
        """(attempts, failed attempts) between two monotonic times."""
        inside = [a for a in self.attempts() if start <= a.at <= end]
        return len(inside), sum(not a.ok for a in inside)

    def last_error_after(self, start: float) -> float | None:
        failed = [a.at for a in self.attempts() if a.at >= start and not a.ok]
        return max(failed) if failed else None

    def statuses(self, start: float, end: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        for a in self.attempts():
            if start <= a.at <= end and not a.ok:
                name = "no reply" if a.status is None else str(a.status)
                counts[name] = counts.get(name, 0) + 1
        return counts
