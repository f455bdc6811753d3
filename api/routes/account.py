"""The signed-in account's own settings (its language), for every role."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.services import account
from models.users import AccountSettings

router = APIRouter(prefix="/api/me", tags=["users"])


@router.get("/settings", response_model=AccountSettings)
def read_settings(user: CurrentUser) -> AccountSettings:
    return account.settings_of(user)


@router.patch("/settings", response_model=AccountSettings)
def update_settings(
    data: AccountSettings, session: SessionDep, user: CurrentUser
) -> AccountSettings:
    """Set the language of your pages; null follows your browser's language."""
    return account.update_settings(session, user, data)
