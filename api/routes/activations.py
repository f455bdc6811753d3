"""The record of activations: which parameter set went live, by whom, and why (designers)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DesignerUser, SessionDep
from api.services import params
from models.params import ActivationPublic

router = APIRouter(prefix="/api/activations", tags=["params"])


@router.get("", response_model=list[ActivationPublic])
def list_activations(session: SessionDep, _user: DesignerUser) -> list[ActivationPublic]:
    """The 50 latest activations, newest first: the set, the account, the gate's verdict,
    and the reason given when the gate was overridden."""
    rows = params.list_activations(session)
    return [ActivationPublic.model_validate(a, from_attributes=True) for a in rows]
