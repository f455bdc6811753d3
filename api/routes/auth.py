"""Logging in and out: OAuth2 password form -> bearer token; logout revokes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ClaimsDep, RuntimeDep, SessionDep, client_address, load_user
from api.services import auth
from models.users import Token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=Token)
async def login_for_token(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange username + password for a bearer token (send as `Authorization: Bearer ...`).

    After too many failures for the account or the client address the answer is 429
    with `Retry-After`; when the server is checking too many passwords at once, 503
    with `Retry-After`.
    """
    try:
        return await auth.login(
            session, runtime, form.username, form.password, client_address(request)
        )
    except auth.BadCredentials:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, claims: ClaimsDep) -> Response:
    """End the session: this token, and every other one issued to the account before
    now (other devices too), stops working at once."""
    user = load_user(session, claims)
    assert user.id is not None
    auth.end_sessions(session, user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
