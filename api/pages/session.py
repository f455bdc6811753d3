"""Cookie sessions and CSRF protection for the server-rendered pages.

The session cookie holds the same signed access token the JSON API hands out
(issued by `api.services.auth.login`) and is checked by the same
`get_current_user`, so deactivation and password changes end page sessions too.
The cookie is HttpOnly and SameSite=Lax. Every state-changing form also carries a
CSRF token: an HMAC of the session cookie (or, before login, of a random nonce
cookie) under the service's signing key, compared in constant time. A forged
cross-site POST has neither the cookie value nor the key, so it cannot make one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from sqlmodel import Session

from api.deps import RuntimeDep, SessionDep, get_current_user
from api.i18n.markers import N_
from api.runtime import Runtime
from models.users import Role, User

SESSION_COOKIE = "pathways_session"
NONCE_COOKIE = "pathways_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid page session: the handler redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """Signed in, but this page is for another role."""

    def __init__(self, user: User, needed: str) -> None:
        super().__init__(needed)
        self.user = user
        self.needed = needed


class CsrfFailed(Exception):
    """A form arrived without a valid CSRF token (stale page or forged request)."""


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str


NAV: dict[Role, tuple[NavItem, ...]] = {
    Role.student: (
        NavItem("practice", N_("Practice"), "/student"),
        NavItem("map", N_("Skill map"), "/student/map"),
    ),
    Role.guardian: (NavItem("family", N_("My children"), "/family"),),
    Role.teacher: (
        NavItem("classes", "My classes", "/teacher"),
        NavItem("families", "Families", "/teacher/families"),
    ),
    Role.designer: (
        NavItem("items", "Item bank", "/designer"),
        NavItem("import", "Import", "/designer/import"),
        NavItem("graph", "Skill graph", "/designer/graph"),
        NavItem("fits", "Refit", "/designer/fits"),
    ),
}
NAV[Role.admin] = NAV[Role.teacher] + NAV[Role.designer] + (NavItem("admin", "Admin", "/admin"),)

HOME: dict[Role, str] = {
    Role.student: "/student",
    Role.teacher: "/teacher",
    Role.designer: "/designer",
    Role.admin: "/teacher",
    Role.guardian: "/family",
}


def csrf_for(runtime: Runtime, basis: str) -> str:
    mac = hmac.new(runtime.signing_key.encode(), b"csrf|" + basis.encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_basis(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(NONCE_COOKIE)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def set_nonce_cookie(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def _next_url(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def login_url(next_url: str | None = None) -> str:
    return "/login" if not next_url else f"/login?next={quote(next_url, safe='')}"


def safe_next(next_url: str | None) -> str | None:
    """Only same-site absolute paths may be redirected to after login."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//"):
        return None
    if "\\" in next_url or any(ord(c) < 32 for c in next_url):
        return None
    return next_url


def user_from_cookie(request: Request, session: Session, runtime: Runtime) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return get_current_user(session, runtime, token)
    except HTTPException:
        return None


def set_page_context(request: Request, runtime: Runtime, user: User | None) -> None:
    basis = csrf_basis(request)
    request.state.page_context = {
        "user": user,
        "nav": NAV.get(user.role, ()) if user else (),
        "csrf_token": csrf_for(runtime, basis) if basis else "",
        "threshold": runtime.settings.mastery_threshold,
    }


def page_user(request: Request, session: SessionDep, runtime: RuntimeDep) -> User:
    """The signed-in user of a page request, else LoginRequired."""
    user = user_from_cookie(request, session, runtime)
    if user is None:
        raise LoginRequired(_next_url(request))
    set_page_context(request, runtime, user)
    return user


PageUser = Annotated[User, Depends(page_user)]


def page_role(*roles: Role) -> Any:
    allowed = frozenset(roles) | {Role.admin}
    needed = " or ".join(sorted(r.value for r in roles))

    def check(user: PageUser) -> User:
        if user.role not in allowed:
            raise PageForbidden(user, needed)
        return user

    return check


StudentPage = Annotated[User, Depends(page_role(Role.student))]
TeacherPage = Annotated[User, Depends(page_role(Role.teacher))]
DesignerPage = Annotated[User, Depends(page_role(Role.designer))]
GuardianPage = Annotated[User, Depends(page_role(Role.guardian))]


async def check_csrf(request: Request, runtime: RuntimeDep) -> None:
    """Dependency for every page POST: the form's token must match this browser's cookie."""
    basis = csrf_basis(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not basis or not isinstance(sent, str):
        raise CsrfFailed()
    if not hmac.compare_digest(sent, csrf_for(runtime, basis)):
        raise CsrfFailed()


CsrfChecked = Depends(check_csrf)
