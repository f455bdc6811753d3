"""Which node runs a queued fit job: a claim on its `fit_job` row, so any node can.

A job is queued on the node it was started through, in that process's runner. If the
node dies (or is busy with a long fit) before starting it, the job would stay queued
for ever: the queue was only in that process. So a runner *claims* the row right
before it runs the job (one UPDATE: still queued, and no claim younger than `LEASE`),
and any node that is asked about a queued job nobody claimed or started for `LEASE`
(`orphaned`) adopts it. The claim and the start (`run_fit` moves the job to running
at once) follow each other in one thread, so two nodes never both run a job: the
second claim finds a fresh claim or a running job and does nothing.

A *running* job whose node died stays running without heartbeats and is reported
stale after `fits.STALE_AFTER`; it is not restarted (start the refit again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session

from api.db import write_transaction
from models.fit_jobs import FitJob, FitStatus
from models.types import utcnow

LEASE = timedelta(seconds=60)
_T = FitJob.__table__  # type: ignore[attr-defined]


def claim(session: Session, job_id: int, now: datetime | None = None) -> bool:
    """Claim a queued job for this runner (True), unless another claimed it less than
    LEASE ago or it is no longer queued (False)."""
    now = now or utcnow()
    with write_transaction(session):
        claimed = session.execute(
            update(_T)
            .where(
                _T.c.id == job_id,
                _T.c.status == FitStatus.queued.value,
                or_(_T.c.heartbeat_at.is_(None), _T.c.heartbeat_at < now - LEASE),
            )
            .values(heartbeat_at=now)
            .returning(_T.c.id)
        ).first()
    return claimed is not None


def orphaned(job: FitJob, now: datetime | None = None) -> bool:
    """Queued, and neither claimed nor created within LEASE: its node is gone or stuck."""
    now = now or utcnow()
    last = job.heartbeat_at or job.created_at
    return job.status == FitStatus.queued and last < now - LEASE


def oldest_orphan(session: Session, now: datetime | None = None) -> int | None:
    """The oldest orphaned job's id (a new job started through a node adopts these)."""
    now = now or utcnow()
    row = session.execute(
        _T.select()
        .with_only_columns(_T.c.id)
        .where(
            and_(
                _T.c.status == FitStatus.queued.value,
                func.coalesce(_T.c.heartbeat_at, _T.c.created_at) < now - LEASE,
            )
        )
        .order_by(_T.c.id)
        .limit(1)
    ).first()
    return None if row is None else int(row[0])
