"""An account's own settings: the language its pages are shown in."""

from __future__ import annotations

from sqlmodel import Session

from api.db import write_transaction
from api.services.errors import NotFound
from models.users import AccountSettings, Language, User


def settings_of(user: User) -> AccountSettings:
    return AccountSettings(locale=Language(user.locale) if user.locale else None)


def update_settings(session: Session, user: User, data: AccountSettings) -> AccountSettings:
    with write_transaction(session):
        row = session.get(User, user.id)
        if row is None:
            raise NotFound(f"no user {user.id}")
        row.locale = data.locale
        session.add(row)
    return settings_of(row)
