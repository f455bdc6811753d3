"""Parameter sets: list, inspect, upload, activate (designers, admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status
from sqlmodel import col, select

from api import paging
from api.db import write_transaction
from api.deps import DbId, DesignerUser, PageDep, RuntimeDep, SessionDep
from api.services import params
from api.services.errors import Invalid
from engine.params import ModelParams, ParamsError
from models.params import (
    ActivationRequest,
    ActivationResult,
    ParamSet,
    ParamSetDetail,
    ParamSetPublic,
)
from models.types import has_nul

router = APIRouter(prefix="/api/params", tags=["params"])


@router.get("", response_model=list[ParamSetPublic], responses=paging.PAGED_RESPONSES)
def list_param_sets(
    session: SessionDep, _user: DesignerUser, page: PageDep
) -> list[ParamSetPublic]:
    """One page of the parameter sets, newest first; the total is in `X-Total-Count`."""
    rows = page.rows(session, select(ParamSet).order_by(col(ParamSet.id).desc()))
    return [params.to_public(p) for p in rows]


@router.get("/{param_set_id}", response_model=ParamSetDetail)
def get_param_set(param_set_id: DbId, session: SessionDep, _user: DesignerUser) -> ParamSetPublic:
    return params.to_public(params.get_param_set(session, param_set_id), detail=True)


@router.post("", response_model=ParamSetPublic, status_code=status.HTTP_201_CREATED)
def upload_param_set(
    session: SessionDep, _user: DesignerUser, body: dict[str, Any] = Body(...)
) -> ParamSetPublic:
    """Store a parameter file (engine `pathways.bkt-params` JSON) as an inactive set."""
    if has_nul(body):
        raise Invalid("body: text must not contain NUL characters")
    try:
        model = ModelParams.from_json_dict(body, where="body")
    except ParamsError as exc:
        raise Invalid(str(exc)) from None
    with write_transaction(session):
        row = params.store_param_set(session, model, source="upload")
    return params.to_public(row)


@router.get("/{param_set_id}/gate", response_model=dict[str, Any])
def param_set_gate(
    param_set_id: DbId, session: SessionDep, runtime: RuntimeDep, _user: DesignerUser
) -> dict[str, Any]:
    """The activation gate's verdict on this set against what runs now (nothing changes)."""
    return params.gate_for(session, runtime, param_set_id).to_json_dict()


@router.post("/{param_set_id}/activate", response_model=ActivationResult)
def activate_param_set(
    param_set_id: DbId,
    session: SessionDep,
    runtime: RuntimeDep,
    user: DesignerUser,
    body: ActivationRequest | None = None,
) -> ActivationResult:
    """Make this the active set (if the gate passes, or with an override reason) and
    recompute every student's mastery from the log; 409 with the gate's reasons."""
    reason = body.override_reason if body is not None else None
    done = params.activate(session, runtime, param_set_id, user=user, override_reason=reason)
    return params.activation_result(param_set_id, done)
