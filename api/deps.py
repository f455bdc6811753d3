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
from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from api.paging import PageRequest, page_request
from api.runtime import Runtime
from api.security import MAX_ID, TokenClaims, TokenError, password_fingerprint
from models.users import Role, User

DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
PageDep = Annotated[PageRequest, Depends(page_request)]  # `limit`, `offset`; headers

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


def token_claims(runtime: Runtime, token: str | None) -> TokenClaims:
    """The bearer token's claims, or 401; no database work."""
    if not token:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    try:
        return runtime.tokens.claims(token)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from None


async def get_claims(runtime: RuntimeDep, token: TokenDep) -> TokenClaims:
    return token_claims(runtime, token)


ClaimsDep = Annotated[TokenClaims, Depends(get_claims)]


def client_address(request: Request) -> str:
    """The client's address as the server saw it: the peer, or what a trusted proxy
    forwarded (only `pathways serve` decides that, from PATHWAYS_TRUSTED_PROXIES:
    the app never reads X-Forwarded-For itself)."""
    return request.client.host if request.client else "unknown"


def _check_account(claims: TokenClaims, active: bool, password_hash: str, generation: int) -> None:
    if not active:
        raise _unauthorized("account not found or deactivated")
    if password_fingerprint(password_hash) != claims.fingerprint:
        raise _unauthorized("password changed since this token was issued; log in again")
    if generation != claims.generation:
        raise _unauthorized("this session has ended (logged out); log in again")


def load_user(session: Session, claims: TokenClaims) -> User:
    """The token's user, if still active, with the same password and session; else 401."""
    user = session.get(User, claims.user_id)
    if user is None:
        raise _unauthorized("account not found or deactivated")
    _check_account(claims, user.is_active, user.password_hash, user.token_generation)
    # End the read transaction: the connection goes back to the pool while the request
    # waits for a worker thread, instead of being held across the wait.
    session.commit()
    return user


def get_current_user(session: SessionDep, runtime: RuntimeDep, token: TokenDep) -> User:
    return load_user(session, token_claims(runtime, token))


CurrentUser = Annotated[User, Depends(get_current_user)]


def allowed_roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles) | {Role.admin}


def check_role(role: Role, allowed: frozenset[Role]) -> None:
    """403 unless the role is one of the allowed ones."""
    if role not in allowed:
        names = " or ".join(sorted(r.value for r in allowed))
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"this needs the role {names}; you are {role}",
        )


def require_roles(*roles: Role) -> Callable[[User], Coroutine[None, None, User]]:
    allowed = allowed_roles(*roles)

    async def check(user: CurrentUser) -> User:
        check_role(user.role, allowed)
        return user

    return check


STUDENT_ROLES = allowed_roles(Role.student)


_USER = User.__table__  # type: ignore[attr-defined]
_ACCOUNT_SQL = select(
    _USER.c.role, _USER.c.is_active, _USER.c.password_hash, _USER.c.token_generation
).where(_USER.c.id == bindparam("id"))


def student_from(session: Session | Connection, claims: TokenClaims) -> int:
    """`StudentUser`'s checks for a handler that does all its work in one worker-thread
    hop: `ClaimsDep` (on the event loop) + this call (in the hop) replace the
    dependency's own hop and ORM load, a large share of a request as short as a
    practice answer. Returns the student's id."""
    row = session.execute(_ACCOUNT_SQL, {"id": claims.user_id}).first()
    if row is None:
        raise _unauthorized("account not found or deactivated")
    role, active, password_hash, generation = row
    _check_account(claims, active, password_hash, generation)
    check_role(role, STUDENT_ROLES)
    return claims.user_id


StudentUser = Annotated[User, Depends(require_roles(Role.student))]
TeacherUser = Annotated[User, Depends(require_roles(Role.teacher))]
DesignerUser = Annotated[User, Depends(require_roles(Role.designer))]
StaffUser = Annotated[User, Depends(require_roles(Role.teacher, Role.designer))]
AdminUser = Annotated[User, Depends(require_roles())]
GuardianUser = Annotated[User, Depends(require_roles(Role.guardian))]
