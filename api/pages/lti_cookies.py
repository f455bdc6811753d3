"""Cookies for LTI launches, which arrive from the LMS's page in an iframe.

The LMS posts the launch cross-site, and inside its iframe every later request of
ours is a cross-site one too, so SameSite=Lax cookies would not be sent: the login
state cookie and the session a launch starts are `SameSite=None; Secure` (browsers
take SameSite=None only with Secure, so LTI needs HTTPS; browsers treat
http://localhost and 127.0.0.1 as secure for development). Cross-site requests
then carry the session, so every state-changing form keeps its CSRF token (an HMAC
of the session cookie, see api.pages.session), which a foreign page cannot make.
Logging in with the form still sets the ordinary SameSite=Lax session.
"""

from __future__ import annotations

from fastapi import Response

from api.pages.session import SESSION_COOKIE

STATE_COOKIE = "pathways_lti_state"
STATE_PATH = "/lti/"
STATE_MAX_AGE = 600


def _partitioned(response: Response) -> None:
    """Mark the cookie just set `Partitioned` (CHIPS): kept per top-level site, so
    browsers that block third-party cookies (Chrome incognito, and by default in
    future) still keep it inside the LMS's frame. Set by hand: Starlette needs
    Python 3.14's http.cookies for the attribute."""
    name, value = response.raw_headers[-1]
    assert name == b"set-cookie"
    response.raw_headers[-1] = (name, value + b"; Partitioned")


def set_state_cookie(response: Response, state: str) -> None:
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_MAX_AGE,
        path=STATE_PATH,
        httponly=True,
        samesite="none",
        secure=True,
    )
    _partitioned(response)


def clear_state_cookie(response: Response) -> None:
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH, samesite="none", secure=True)
    _partitioned(response)


def set_launch_session(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="none",
        secure=True,
    )
    _partitioned(response)
