"""Parameter sets: list them, store a new one, activate one (which replays the log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.cache import active_param_set, bump_revision, read_revision
from api.services.errors import GateRefused, NotFound
from api.services.gate import check as gate_check
from api.services.replay import Progress, ReplayResult, replay_into
from engine.gate import GateResult
from engine.params import ModelParams
from models.fit_jobs import FitJob
from models.params import Activation, ActivationResult, ParamSet, ParamSetDetail, ParamSetPublic
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime
    from models.users import User


def to_public(p: ParamSet, detail: bool = False) -> ParamSetPublic:
    assert p.id is not None
    public = ParamSetPublic(
        id=p.id,
        source=p.source,
        note=p.note,
        active=p.active,
        created_at=p.created_at,
        activated_at=p.activated_at,
        skills=len(p.params.get("skills", {})),
    )
    if detail:
        return ParamSetDetail(**public.model_dump(), params=p.params)
    return public


def list_param_sets(session: Session) -> list[ParamSet]:
    return list(session.exec(select(ParamSet).order_by(col(ParamSet.id).desc())))


def get_param_set(session: Session, param_set_id: int) -> ParamSet:
    found = session.get(ParamSet, param_set_id)
    if found is None:
        raise NotFound(f"no parameter set {param_set_id}")
    return found


def store_param_set(session: Session, params: ModelParams, source: str, note: str = "") -> ParamSet:
    """Save an (inactive) parameter set inside the caller's transaction."""
    row = ParamSet(source=source, note=note[:500], params=params.to_json_dict(), active=False)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Activated:
    """An activation's outcome: the replay, and the gate's verdict it passed or overrode."""

    replay: ReplayResult
    gate: GateResult
    overridden: bool


def gate_for(session: Session, runtime: Runtime, param_set_id: int) -> GateResult:
    """The gate's verdict on a stored set against what runs now, on the log as it is.

    A set from a fit job is scored by the job's refit on the older answers (so the
    newest are unseen); an uploaded set is scored as it is."""
    target = get_param_set(session, param_set_id)
    candidate = ModelParams.from_json_dict(target.params, where=f"parameter set {param_set_id}")
    job = session.exec(select(FitJob).where(FitJob.param_set_id == param_set_id)).first()
    scored = None
    if job is not None and job.gate and job.gate.get("scored_params"):
        scored = ModelParams.from_json_dict(job.gate["scored_params"], where="fit job gate")
    snap = runtime.cache.get(session)
    verdict = gate_check(session, snap, candidate, scored_candidate=scored)
    session.rollback()  # end the read transaction before the write below
    return verdict


def activate(
    session: Session,
    runtime: Runtime,
    param_set_id: int,
    progress: Progress | None = None,
    *,
    user: User | None = None,
    override_reason: str | None = None,
) -> Activated:
    """Make this set the only active one and recompute all mastery with it, atomically.

    The gate (`gate_for`) must pass, or `override_reason` say why it is overridden;
    either way the activation is recorded with the verdict. GateRefused otherwise."""
    verdict = gate_for(session, runtime, param_set_id)
    reason = override_reason.strip() if override_reason else None
    if not verdict.passed and not reason:
        raise GateRefused(param_set_id, verdict)
    with write_transaction(session):
        bump_revision(session, params=True)
        target = get_param_set(session, param_set_id)
        ModelParams.from_json_dict(target.params, where=f"parameter set {param_set_id}")
        previous = active_param_set(session)
        session.execute(update(ParamSet).where(col(ParamSet.active).is_(True)).values(active=False))
        session.execute(
            update(ParamSet)
            .where(col(ParamSet.id) == param_set_id)
            .values(active=True, activated_at=utcnow())
        )
        session.add(
            Activation(
                param_set_id=param_set_id,
                previous_param_set_id=previous.id if previous is not None else None,
                user_id=user.id if user is not None else None,
                passed=verdict.passed,
                override_reason=None if verdict.passed else reason,
                gate=verdict.to_json_dict(),
            )
        )
        session.flush()
        session.expire_all()
        snap = runtime.cache.get(session, read_revision(session))
        result = replay_into(session, snap, progress)
    return Activated(result, verdict, overridden=not verdict.passed)


def list_activations(session: Session, limit: int = 50) -> list[Activation]:
    """The most recent activations, newest first."""
    query = select(Activation).order_by(col(Activation.id).desc()).limit(limit)
    return list(session.exec(query))


def activation_result(param_set_id: int, done: Activated) -> ActivationResult:
    return ActivationResult(
        param_set_id=param_set_id,
        responses=done.replay.responses,
        students=done.replay.students,
        mastery_rows=done.replay.mastery_rows,
        gate_passed=done.gate.passed,
        overridden=done.overridden,
        gate=done.gate.to_json_dict(),
    )
