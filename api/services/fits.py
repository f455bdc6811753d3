"""Refitting the BKT parameters from the response log, as a tracked background job.

`start_fit` records a queued job and hands its id to the runtime's job runner
(api.jobs); `run_fit` does the work in that thread and persists progress and the
result in `fit_job`, so any worker can report on it. A finished job leaves a new,
inactive parameter set; `activate` (services.params) puts it into use.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from api.db import write_transaction
from api.services.cache import Snapshot, active_param_set, build_snapshot, read_revision
from api.services.errors import Conflict, NotFound
from api.services.gate import check as gate_check
from api.services.gate import complete, fallback_params, newest_scores
from api.services.log_data import LogBlocks, LogWindow, log_plan, newest_cutoff
from api.services.params import store_param_set
from engine.bounds import Bounds
from engine.fit import BKTFitter, service_fitter
from engine.fit_stream import StreamingFitter
from engine.gate import TEST_SHARE
from engine.params import ModelParams
from models.fit_jobs import FitJob, FitJobPublic, FitOptions, FitStatus, SkillComparison
from models.params import ParamSet
from models.responses import ResponseLog
from models.types import utcnow
from models.users import User

STALE_AFTER = timedelta(minutes=10)  # a running job with no heartbeat this long has died
PROGRESS_EVERY_S = 0.5


def create_fit_job(session: Session, user: User | None, options: FitOptions) -> FitJob:
    """Record a queued job; Conflict when there is nothing to fit."""
    with write_transaction(session):
        n = session.exec(select(func.count()).select_from(ResponseLog)).one()
        if n == 0:
            raise Conflict("no responses logged yet: nothing to fit")
        baseline = active_param_set(session)
        job = FitJob(
            status=FitStatus.queued,
            created_by=user.id if user is not None else None,
            options=options.model_dump(mode="json"),
            baseline_param_set_id=baseline.id if baseline is not None else None,
        )
        session.add(job)
    return job


def _set(session: Session, job_id: int, **values: Any) -> None:
    with write_transaction(session):
        job = session.get(FitJob, job_id)
        if job is None:
            raise NotFound(f"no fit job {job_id}")
        for k, v in values.items():
            setattr(job, k, v)
        job.heartbeat_at = utcnow()
        session.add(job)


def run_fit(session: Session, job_id: int) -> None:
    """Run one queued job to completion (in the calling thread); never raises."""
    try:
        job = session.get(FitJob, job_id)
        if job is None or job.status != FitStatus.queued:
            return
        options = FitOptions.model_validate(job.options)
        _set(session, job_id, status=FitStatus.running, started_at=utcnow())
        last_id = session.exec(select(func.max(ResponseLog.id))).one()
        skills = tuple(options.skills) if options.skills is not None else None
        window = LogWindow(int(last_id or 0), skills=skills)
        snap = build_snapshot(session, read_revision(session))
        session.rollback()  # end the read transaction before the long computation
        last_write = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - last_write[0] >= PROGRESS_EVERY_S:
                last_write[0] = now
                _set(session, job_id, done=done, total=total)

        keep = fallback_params(snap)
        counter = _TwoFits(progress)
        settings = _fitter_settings(options, snap)
        centres = snap.cold_start.skills
        # Streamed skill by skill (engine.fit_stream): one skill's rows in memory at a time.
        fitter = service_fitter(**settings, progress=counter.first)
        plan = log_plan(session, fitter, window)
        if plan is None:
            raise ValueError("no logged responses for the requested skills")
        n_responses = int(plan.n_rows.sum())
        _set(session, job_id, n_responses=n_responses, last_response_id=last_id)
        with LogBlocks(session, plan, window) as blocks:
            fitted = StreamingFitter(fitter).fit(plan, blocks, keep=keep, centres=centres)
        candidate = complete(fitted.params_, keep, snap)
        # The gate scores the same settings refitted without the newest answers.
        cutoff = newest_cutoff(session, window, TEST_SHARE)
        if cutoff is None:
            raise ValueError("no logged responses for the requested skills")
        older = replace(window, before=cutoff)
        refitter = service_fitter(**settings, progress=counter.second)
        older_plan = log_plan(session, refitter, older)
        scored = None
        if older_plan is not None and older_plan.n_rows.sum() > 0:
            with LogBlocks(session, older_plan, older) as blocks:
                refit = StreamingFitter(refitter).fit(
                    older_plan, blocks, keep=keep, centres=centres
                )
            scored = complete(refit.params_, keep, snap)
        # A third streamed pass scores the newest answers (each student's earlier ones
        # traced as history): one skill's rows in memory, plus 4 numbers per newest row.
        # It reads the job's window (ids up to the last when it started), as both fits
        # did; the whole-log read it replaces also took answers logged since, which
        # neither set was fitted or split on: the window is the more correct one.
        newest = newest_scores(
            session, plan, window, cutoff, scored or candidate, snap.running_model()
        )
        if newest.rows == 0:
            raise ValueError("no logged responses for the requested skills")
        verdict = gate_check(session, snap, candidate, scored_candidate=scored, scores=newest)
        session.rollback()
        with write_transaction(session):
            params = ModelParams(
                skills=candidate.skills,
                forgets=candidate.forgets,
                multigs=candidate.multigs,
                multilearn=candidate.multilearn,
                multiprior=candidate.multiprior,
                metadata={
                    **candidate.metadata,
                    "fit_job": job_id,
                    "responses": n_responses,
                    "covered_by_fit": sorted(
                        r.skill for r in fitted.report_ if r.source == "fitted"
                    ),
                },
            )
            stored = store_param_set(session, params, source="fit", note=f"fit job {job_id}")
            job = session.get(FitJob, job_id)
            assert job is not None
            job.param_set_id = stored.id
            job.report = _report_json(fitted, snap)
            job.gate = {
                **verdict.to_json_dict(),
                "baseline_param_set_id": snap.param_set_id,
                "scored_params": None if scored is None else scored.to_json_dict(),
            }
            job.status = FitStatus.succeeded
            job.finished_at = job.heartbeat_at = utcnow()
            session.add(job)
    except Exception as exc:  # the job must end in a state a reader can see
        session.rollback()
        message = f"{type(exc).__name__}: {exc}"
        try:
            _set(
                session, job_id, status=FitStatus.failed, error=message[:2000], finished_at=utcnow()
            )
        except Exception:
            traceback.print_exc()


class _TwoFits:
    """One progress bar over the fit and the gate's refit on the older answers."""

    def __init__(self, progress: Callable[[int, int], None]) -> None:
        self.progress = progress
        self.total = 0

    def first(self, done: int, total: int) -> None:
        self.total = total
        self.progress(done, 2 * total)

    def second(self, done: int, total: int) -> None:
        self.progress(self.total + done * self.total // max(total, 1), 2 * self.total)


def _fitter_settings(options: FitOptions, snap: Snapshot) -> dict[str, Any]:
    return {
        "forgets": options.forgets,
        "multigs": options.multigs,
        "restarts": options.restarts,
        "random_state": options.random_state,
        "bounds": Bounds.capped(guess=options.bound_guess, slip=options.bound_slip),
        "guess_floors": dict(snap.guess_floors),
        "n_jobs": 1,
    }


def _report_json(fitter: BKTFitter | StreamingFitter, snap: Snapshot) -> dict[str, Any]:
    """The fit report, plus the skills with items that no answer has reached yet."""
    report = fitter.report_.to_json_dict()
    seen = {r.skill for r in fitter.report_}
    report["cold_start"] = [s for s in snap.skills if s not in seen]
    return report


def _scalars(params: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    if not params:
        return {}
    out = {}
    for skill, p in params.get("skills", {}).items():
        out[skill] = {
            k: float(p[k]) for k in ("prior", "learn", "guess", "slip", "forget") if k in p
        }
    return out


def to_public(session: Session, job: FitJob) -> FitJobPublic:
    assert job.id is not None
    before = _scalars(_params_of(session, job.baseline_param_set_id))
    after = _scalars(_params_of(session, job.param_set_id))
    skills = sorted(set(before) | set(after)) if after else []
    stale = (
        job.status in (FitStatus.running, FitStatus.queued)
        and (job.heartbeat_at or job.created_at) < utcnow() - STALE_AFTER
    )
    return FitJobPublic(
        id=job.id,
        status=FitStatus(job.status),
        options=job.options,
        done=job.done,
        total=job.total,
        progress=(job.done / job.total)
        if job.total
        else (1.0 if job.status == "succeeded" else 0.0),
        n_responses=job.n_responses,
        error=job.error,
        stale=stale,
        baseline_param_set_id=job.baseline_param_set_id,
        param_set_id=job.param_set_id,
        report=job.report,
        gate=_public_gate(job.gate),
        comparison=[
            SkillComparison(skill=s, before=before.get(s), after=after.get(s)) for s in skills
        ],
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _public_gate(gate: dict[str, Any] | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {k: v for k, v in gate.items() if k != "scored_params"}


def _params_of(session: Session, param_set_id: int | None) -> dict[str, Any] | None:
    if param_set_id is None:
        return None
    row = session.get(ParamSet, param_set_id)
    return row.params if row is not None else None


def get_fit_job(session: Session, job_id: int) -> FitJob:
    job = session.get(FitJob, job_id)
    if job is None:
        raise NotFound(f"no fit job {job_id}")
    session.refresh(job)
    return job
