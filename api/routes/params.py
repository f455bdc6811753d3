"""Parameter sets: list, inspect, upload, activate (designers, admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from api.db import write_transaction
from api.deps import DbId, DesignerUser, RuntimeDep, SessionDep
from api.services import params
from api.services.errors import Invalid
from engine.params import ModelParams, ParamsError
from models.params import ParamSetDetail, ParamSetPublic
from models.types import has_nul

router = APIRouter(prefix="/api/params", tags=["params"])


@router.get("", response_model=list[ParamSetPublic])
def list_param_sets(session: SessionDep, _user: DesignerUser) -> list[ParamSetPublic]:
    return [params.to_public(p) for p in params.list_param_sets(session)]


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


@router.post("/{param_set_id}/activate", response_model=dict[str, int])
def activate_param_set(
    param_set_id: DbId, session: SessionDep, runtime: RuntimeDep, _user: DesignerUser
) -> dict[str, int]:
    """Make this the active set and recompute every student's mastery from the log."""
    result = params.activate(session, runtime, param_set_id)
    return {
        "param_set_id": param_set_id,
        "responses": result.responses,
        "students": result.students,
        "mastery_rows": result.mastery_rows,
    }
