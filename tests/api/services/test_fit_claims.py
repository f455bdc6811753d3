"""Claims on queued fit jobs: one runner per job, and orphans found after the lease."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from api.runtime import Runtime
from api.services import fit_claims, fits
from models.fit_jobs import FitJob, FitOptions, FitStatus
from models.types import utcnow
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT

_T = FitJob.__table__  # type: ignore[attr-defined]


def _queued_job(client: TestClient, session: Session, runtime: Runtime) -> int:
    """A queued job nobody submitted (its node died right after queuing it)."""
    f.load_curriculum(session)
    headers = f.login(client, f.make_user(session, runtime, Role.student).username)
    assert f.answer(client, headers, "eq1", RIGHT["eq1"]).status_code == 200
    job = fits.create_fit_job(session, None, FitOptions())
    assert job.id is not None
    return job.id


def _age(session: Session, job_id: int, by: timedelta) -> None:
    session.execute(update(_T).where(_T.c.id == job_id).values(created_at=utcnow() - by))
    session.commit()


def test_a_job_is_claimed_once_until_the_lease_runs_out(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    job_id = _queued_job(client, session, runtime)
    now = utcnow()
    assert fit_claims.claim(session, job_id, now)
    assert not fit_claims.claim(session, job_id, now + timedelta(seconds=1))  # another runner
    later = now + fit_claims.LEASE + timedelta(seconds=1)
    assert fit_claims.claim(session, job_id, later)  # the claimer never started it


def test_a_job_that_started_is_never_claimed_again(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    job_id = _queued_job(client, session, runtime)
    session.execute(update(_T).where(_T.c.id == job_id).values(status=FitStatus.running.value))
    session.commit()
    assert not fit_claims.claim(session, job_id, utcnow() + 2 * fit_claims.LEASE)


def test_a_queued_job_is_an_orphan_only_after_the_lease(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    job_id = _queued_job(client, session, runtime)
    assert fit_claims.oldest_orphan(session) is None
    assert not fit_claims.orphaned(fits.get_fit_job(session, job_id))
    _age(session, job_id, 2 * fit_claims.LEASE)
    session.expire_all()
    assert fit_claims.oldest_orphan(session) == job_id
    assert fit_claims.orphaned(fits.get_fit_job(session, job_id))
    assert fit_claims.claim(session, job_id)  # a fresh claim: no longer an orphan
    session.expire_all()
    assert not fit_claims.orphaned(fits.get_fit_job(session, job_id))
    assert fit_claims.oldest_orphan(session) is None


def test_asking_about_an_orphaned_job_runs_it_and_a_fresh_one_is_left_alone(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    job_id = _queued_job(client, session, runtime)
    designer = f.login(client, f.make_user(session, runtime, Role.designer).username)
    assert client.get(f"/api/fits/{job_id}", headers=designer).json()["status"] == "queued"
    assert job_id not in runtime.jobs.futures
    _age(session, job_id, 2 * fit_claims.LEASE)
    assert client.get(f"/api/fits/{job_id}", headers=designer).status_code == 200
    assert job_id in runtime.jobs.futures
    done = f.finished_fit(client, designer, job_id)
    assert done["status"] in ("succeeded", "failed")  # it ran (one answer is little data)
