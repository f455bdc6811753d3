"""Background jobs of one process: a single worker thread running queued fits.

One thread, because a fit already keeps the CPU busy and fits should not compete
with each other or starve request handling. Progress lives in the database
(`fit_job`), so a client may ask any worker or node. A runner claims a job's row right
before running it, and a job queued on a node that died before starting it is adopted
by the node asked about it (`api.services.fit_claims`). A job interrupted by a restart
stays "running" with an old heartbeat and is reported `stale`.

On an in-memory SQLite database (tests) every session shares one connection, so a
second thread cannot have a transaction of its own: jobs then run inline.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from api.db import new_session
from api.services import fit_claims
from api.services.fits import run_fit
from models.fit_jobs import FitJob


class JobRunner:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathways-fit")
        self.inline = isinstance(engine.pool, StaticPool)
        self.futures: dict[int, Future[None]] = {}

    def submit_fit(self, job_id: int) -> Future[None]:
        if self.inline:
            future: Future[None] = Future()
            self._run(job_id)
            future.set_result(None)
        else:
            future = self._pool.submit(self._run, job_id)
        self.futures[job_id] = future
        return future

    def _run(self, job_id: int) -> None:
        with new_session(self._engine) as session:
            if fit_claims.claim(session, job_id):  # else another node has it (or ran it)
                run_fit(session, job_id)

    def adopt(self, job: FitJob) -> bool:
        """Run a job queued on a node that died or never got to it (see fit_claims);
        True if this runner took it on."""
        if job.id is None or job.id in self.futures or not fit_claims.orphaned(job):
            return False
        self.submit_fit(job.id)
        return True

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        """Block until the job finished (tests and the CLI)."""
        future = self.futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
