"""The current user and (admin) account management."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import paging
from api.deps import AdminUser, CurrentUser, DbId, PageDep, RuntimeDep, SessionDep
from api.services import users
from models.users import Role, UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/me", response_model=UserPublic)
def read_me(user: CurrentUser) -> UserPublic:
    return users.to_public(user)


@router.get("/users", response_model=list[UserPublic], responses=paging.PAGED_RESPONSES)
def list_users(
    session: SessionDep, _admin: AdminUser, page: PageDep, role: Role | None = None
) -> list[UserPublic]:
    """One page of the accounts by id; the total is in `X-Total-Count`."""
    rows = page.rows(session, users.users_query(role))
    return [users.to_public(u) for u in rows]


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(
    data: UserCreate, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> UserPublic:
    return users.to_public(users.create_user(session, runtime, data))


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: DbId, data: UserUpdate, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> UserPublic:
    return users.to_public(users.update_user(session, runtime, user_id, data))
