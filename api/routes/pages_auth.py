"""Log-in and log-out pages: a cookie session on top of the API's auth service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep, SessionDep, client_address, get_current_user
from api.i18n.markers import N_
from api.pages.errors import PageRoute
from api.pages.session import (
    HOME,
    NONCE_COOKIE,
    CsrfChecked,
    clear_session_cookie,
    csrf_for,
    new_nonce,
    safe_next,
    set_nonce_cookie,
    set_page_context,
    set_session_cookie,
    user_from_cookie,
)
from api.pages.templating import render
from api.services import auth
from api.services.errors import Busy, RateLimited

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _login_form(
    request: Request,
    runtime: RuntimeDep,
    *,
    username: str = "",
    error: str | None = None,
    next_url: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    nonce = request.cookies.get(NONCE_COOKIE) or new_nonce()
    set_page_context(request, runtime, None)
    response = render(
        request,
        "auth/login.html",
        {
            "title": "Log in",
            "username": username,
            "error": error,
            "next": safe_next(next_url) or "",
            "csrf_token": csrf_for(runtime, nonce),
        },
        status_code=status_code,
    )
    if request.cookies.get(NONCE_COOKIE) != nonce:
        set_nonce_cookie(response, request, nonce)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    user = user_from_cookie(request, session, runtime)
    return RedirectResponse(HOME[user.role] if user else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, next: str | None = None
) -> Response:
    user = user_from_cookie(request, session, runtime)
    if user is not None:
        return RedirectResponse(safe_next(next) or HOME[user.role], status_code=303)
    return _login_form(request, runtime, next_url=next)


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def login_submit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    username = username.strip()
    if not username or not password:
        return _login_form(
            request,
            runtime,
            username=username,
            error=N_("Enter your username and password."),
            next_url=next,
            status_code=400,
        )
    try:
        token = await auth.login(session, runtime, username, password, client_address(request))
    except auth.BadCredentials:
        return _login_form(
            request,
            runtime,
            username=username,
            error=N_("That username and password do not match. Check them and try again."),
            next_url=next,
            status_code=400,
        )
    except RateLimited as exc:
        what = "The server is busy." if isinstance(exc, Busy) else "Too many failed attempts."
        resp = _login_form(
            request,
            runtime,
            username=username,
            error=f"{what} {str(exc.detail).split('; ', 1)[-1].capitalize()}.",
            next_url=next,
            status_code=exc.status_code,
        )
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    user = await run_in_threadpool(get_current_user, session, runtime, token.access_token)
    target = safe_next(next) or HOME[user.role]
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, token.access_token, token.expires_in)
    response.delete_cookie(NONCE_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """End the session for good: the cookie's token (and any copy of it) stops working."""
    user = user_from_cookie(request, session, runtime)
    if user is not None and user.id is not None:
        auth.end_sessions(session, user.id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response
