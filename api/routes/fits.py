"""Refitting parameters from the log (designers, admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import DbId, DesignerUser, RuntimeDep, SessionDep
from api.services import fit_claims, fits, params
from api.services.errors import Conflict
from models.fit_jobs import FitJobPublic, FitOptions
from models.params import ActivationRequest, ActivationResult

router = APIRouter(prefix="/api/fits", tags=["fits"])


@router.post("", response_model=FitJobPublic, status_code=status.HTTP_202_ACCEPTED)
def start_fit(
    session: SessionDep, runtime: RuntimeDep, user: DesignerUser, options: FitOptions | None = None
) -> FitJobPublic:
    """Start a background EM refit on every logged response; poll GET /api/fits/{id}."""
    job = fits.create_fit_job(session, user, options or FitOptions())
    assert job.id is not None
    runtime.jobs.submit_fit(job.id)
    orphan = fit_claims.oldest_orphan(session)  # one a dead node left queued
    if orphan is not None:
        left = fits.get_fit_job(session, orphan)
        session.commit()  # end the read: an in-memory test database runs the job inline
        runtime.jobs.adopt(left)
    return fits.to_public(session, job)


@router.get("/{job_id}", response_model=FitJobPublic)
def get_fit(
    job_id: DbId, session: SessionDep, runtime: RuntimeDep, _user: DesignerUser
) -> FitJobPublic:
    """Progress, then the fit report and a per-skill before/after parameter comparison.
    A job left queued by a node that died is started here (api.services.fit_claims)."""
    job = fits.get_fit_job(session, job_id)
    if fit_claims.orphaned(job):
        session.commit()  # end the read: an in-memory test database runs the job inline
        if runtime.jobs.adopt(job):
            session.refresh(job)
    return fits.to_public(session, job)


@router.post("/{job_id}/activate", response_model=ActivationResult)
def activate_fit(
    job_id: DbId,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerUser,
    body: ActivationRequest | None = None,
) -> ActivationResult:
    """Activate the job's parameter set (if the gate passes, or with an override reason)
    and recompute every student's mastery from the log; 409 with the gate's reasons."""
    job = fits.get_fit_job(session, job_id)
    if job.param_set_id is None:
        raise Conflict(f"fit job {job_id} has no parameters yet (status {job.status})")
    reason = body.override_reason if body is not None else None
    done = params.activate(session, runtime, job.param_set_id, user=user, override_reason=reason)
    return params.activation_result(job.param_set_id, done)
