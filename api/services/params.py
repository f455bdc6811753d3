"""Parameter sets: list them, store a new one, activate one (which replays the log)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.cache import bump_revision, read_revision
from api.services.errors import NotFound
from api.services.replay import Progress, ReplayResult, replay_into
from engine.params import ModelParams
from models.params import ParamSet, ParamSetDetail, ParamSetPublic
from models.types import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime


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


def activate(
    session: Session, runtime: Runtime, param_set_id: int, progress: Progress | None = None
) -> ReplayResult:
    """Make this set the only active one and recompute all mastery with it, atomically."""
    with write_transaction(session):
        bump_revision(session, params=True)
        target = get_param_set(session, param_set_id)
        ModelParams.from_json_dict(target.params, where=f"parameter set {param_set_id}")
        session.execute(update(ParamSet).where(col(ParamSet.active).is_(True)).values(active=False))
        session.execute(
            update(ParamSet)
            .where(col(ParamSet.id) == param_set_id)
            .values(active=True, activated_at=utcnow())
        )
        session.expire_all()
        snap = runtime.cache.get(session, read_revision(session))
        return replay_into(session, snap, progress)
