"""Creating, listing and updating accounts (admin routes and `pathways users`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.errors import Conflict, NotFound
from models.users import Role, User, UserCreate, UserPublic, UserUpdate

if TYPE_CHECKING:
    from api.runtime import Runtime


def to_public(user: User) -> UserPublic:
    assert user.id is not None
    return UserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        is_active=user.is_active,
    )


def create_user(session: Session, runtime: Runtime, data: UserCreate) -> User:
    """Add an account; Conflict if the username is taken."""
    user = User(
        username=data.username,
        full_name=data.full_name,
        role=data.role,
        password_hash=runtime.passwords.hash(data.password),
    )
    try:
        with write_transaction(session):
            session.add(user)
    except IntegrityError:
        raise Conflict(f"username {data.username!r} is already taken") from None
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def users_query(role: Role | None = None) -> Select[Any]:
    """Accounts by id (what `list_users` reads; page it with api.paging)."""
    query = select(User).order_by(col(User.id))
    if role is not None:
        query = query.where(User.role == role)
    return query


def list_users(session: Session, role: Role | None = None) -> list[User]:
    return list(session.execute(users_query(role)).scalars())


def update_user(session: Session, runtime: Runtime, user_id: int, data: UserUpdate) -> User:
    with write_transaction(session):
        user = get_user(session, user_id)
        if data.full_name is not None:
            user.full_name = data.full_name
        if data.password is not None:
            user.password_hash = runtime.passwords.hash(data.password)
            user.token_generation += 1  # a new password ends every session, everywhere
        if data.is_active is not None:
            user.is_active = data.is_active
        session.add(user)
    return user
