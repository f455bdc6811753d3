"""Refitting parameters from the log (designers, admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import DbId, DesignerUser, RuntimeDep, SessionDep
from api.services import fits, params
from api.services.errors import Conflict
from api.services.replay import ReplayResult
from models.fit_jobs import FitJobPublic, FitOptions

router = APIRouter(prefix="/api/fits", tags=["fits"])


@router.post("", response_model=FitJobPublic, status_code=status.HTTP_202_ACCEPTED)
def start_fit(
    session: SessionDep, runtime: RuntimeDep, user: DesignerUser, options: FitOptions | None = None
) -> FitJobPublic:
    """Start a background EM refit on every logged response; poll GET /api/fits/{id}."""
    job = fits.create_fit_job(session, user, options or FitOptions())
    assert job.id is not None
    runtime.jobs.submit_fit(job.id)
    return fits.to_public(session, job)


@router.get("/{job_id}", response_model=FitJobPublic)
def get_fit(job_id: DbId, session: SessionDep, _user: DesignerUser) -> FitJobPublic:
    """Progress, then the fit report and a per-skill before/after parameter comparison."""
    return fits.to_public(session, fits.get_fit_job(session, job_id))


@router.post("/{job_id}/activate", response_model=dict[str, int])
def activate_fit(
    job_id: DbId, session: SessionDep, runtime: RuntimeDep, _user: DesignerUser
) -> dict[str, int]:
    """Activate the job's parameter set and recompute every student's mastery from the log."""
    job = fits.get_fit_job(session, job_id)
    if job.param_set_id is None:
        raise Conflict(f"fit job {job_id} has no parameters yet (status {job.status})")
    result: ReplayResult = params.activate(session, runtime, job.param_set_id)
    return {"param_set_id": job.param_set_id, **_counts(result)}


def _counts(result: ReplayResult) -> dict[str, int]:
    return {
        "responses": result.responses,
        "students": result.students,
        "mastery_rows": result.mastery_rows,
    }
