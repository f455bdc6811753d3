"""FastAPI dependencies as `Annotated` aliases: the session, the current user, role checks.

Handlers declare what they need (`session: SessionDep`, `user: TeacherUser`) and stay
thin. Role checks answer 403 for a wrong role; ownership (whose records) is checked in
the services, which answer 404 for records the user may not see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from api.runtime import Runtime
from api.security import TokenError, decode_access_token, password_fingerprint
from models.users import Role, User

MAX_ID = 2_147_483_647  # 32-bit: every database we support stores ids in this range
DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


# Cheap dependencies are `async def` so they run on the event loop: a sync dependency
# costs a hop to the thread pool, which dominates a request that is otherwise quick.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[Session]:
    """A session per request. Creating one does no I/O; closing returns its connection
    (ending a read transaction at most), cheap enough for the event loop."""
    session = runtime.session()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(session: SessionDep, runtime: RuntimeDep, token: TokenDep) -> User:
    if not token:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    try:
        claims = decode_access_token(runtime.signing_key, token)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from None
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise _unauthorized("account not found or deactivated")
    if password_fingerprint(user.password_hash) != claims.fingerprint:
        raise _unauthorized("password changed since this token was issued; log in again")
    # End the read transaction: the connection goes back to the pool while the request
    # waits for a worker thread, instead of being held across the wait.
    session.commit()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], Coroutine[None, None, User]]:
    allowed = frozenset(roles) | {Role.admin}
    names = " or ".join(sorted(r.value for r in allowed))

    async def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this needs the role {names}; you are {user.role}",
            )
        return user

    return check


StudentUser = Annotated[User, Depends(require_roles(Role.student))]
TeacherUser = Annotated[User, Depends(require_roles(Role.teacher))]
DesignerUser = Annotated[User, Depends(require_roles(Role.designer))]
StaffUser = Annotated[User, Depends(require_roles(Role.teacher, Role.designer))]
AdminUser = Annotated[User, Depends(require_roles())]
