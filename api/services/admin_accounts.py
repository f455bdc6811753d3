"""An admin's changes to someone else's account, each with its audit event.

The change and its record are one transaction (`outer_write_transaction` around
`users.update_user`), so the audit log never misses an action that happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.db import outer_write_transaction
from api.services import users
from api.services.audit import record
from models.audit import AuditAction
from models.users import User, UserUpdate

if TYPE_CHECKING:
    from sqlmodel import Session

    from api.runtime import Runtime


def reset_password(
    session: Session, runtime: Runtime, user_id: int, password: str, actor_id: int | None
) -> User:
    """Set a new password (every session of the account ends)."""
    data = UserUpdate(password=password)
    with outer_write_transaction(session):
        user = users.update_user(session, runtime, user_id, data)
        record(session, AuditAction.password_reset, actor_id, details={"role": str(user.role)})
    return user


def set_active(
    session: Session, runtime: Runtime, user_id: int, active: bool, actor_id: int | None
) -> User:
    with outer_write_transaction(session):
        user = users.update_user(session, runtime, user_id, UserUpdate(is_active=active))
        action = AuditAction.activate if active else AuditAction.deactivate
        record(session, action, actor_id, details={"role": str(user.role)})
    return user
