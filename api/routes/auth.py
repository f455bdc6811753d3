"""Logging in: OAuth2 password form -> bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import RuntimeDep, SessionDep
from api.services import auth
from models.users import Token

router = APIRouter(prefix="/api/auth", tags=["auth"])


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/token", response_model=Token)
def login_for_token(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange username + password for a bearer token (send as `Authorization: Bearer ...`).

    After too many failures for the username or the client address the answer is 429
    with `Retry-After`.
    """
    try:
        return auth.login(session, runtime, form.username, form.password, client_ip(request))
    except auth.BadCredentials:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
