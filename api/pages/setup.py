"""Hooking the web pages into the app: routers, /static, and HTML error pages.

`install_pages(app)` is the one call `create_app` needs. Page routers use
`api.pages.errors.PageRoute`, which turns the services' errors (NotFound, Invalid,
...) into an HTML error page instead of the JSON the API routes answer with.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.pages import palette
from api.pages.errors import error_page
from api.pages.session import CsrfFailed, LoginRequired, PageForbidden, login_url
from api.pages.templating import SCALE_CSS_PATH, STATIC_DIR
from api.routes import (
    lti,
    pages_account,
    pages_admin,
    pages_auth,
    pages_class_plan,
    pages_designer,
    pages_families,
    pages_family,
    pages_lti,
    pages_roster_sync,
    pages_student,
    pages_teacher,
)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(login_url(exc.next_url), status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbidden)
    return error_page(request, 403, f"This page is for the {exc.needed} role.")


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    return error_page(
        request,
        403,
        "This form has expired or did not come from Pathways. Go back, reload the page "
        "and try again.",
    )


async def _scale_css() -> Response:
    """The data colours and bar widths as classes (pages carry no style attributes)."""
    return Response(
        palette.scale_css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install_pages(app: FastAPI) -> None:
    """Register the page routers, the static files and the page error handlers (once)."""
    if getattr(app.state, "pages_installed", False):
        return
    app.state.pages_installed = True
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route(SCALE_CSS_PATH, _scale_css, methods=["GET"], include_in_schema=False)
    for module in (pages_auth, pages_student, pages_teacher, pages_designer, lti, pages_lti):
        app.include_router(module.router)
    for module in (pages_families, pages_family, pages_account):  # families, languages
        app.include_router(module.router)
    app.include_router(pages_class_plan.router)  # class plan, standards report
    app.include_router(pages_admin.router)  # the admin console
    app.include_router(pages_roster_sync.router)  # class list from the LMS
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
