"""HTML error pages and `PageRoute`, the route class that answers service errors with them.

Its own module because both sides need it: page routers use `PageRoute`, and
`setup.install_pages` (which registers those routers) and the app's handlers render
`error_page`. Kept here, neither side has to import the other.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from api.i18n.markers import N_
from api.pages.templating import render
from api.services.errors import RateLimited, ServiceError

ERROR_TITLES = {
    400: N_("That request could not be handled"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("That clashes with something already there"),
    422: N_("That was not accepted"),
    429: N_("Too many attempts"),
    503: N_("The server cannot take that right now"),
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = ERROR_TITLES.get(status, N_("Something went wrong"))
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )


class PageRoute(APIRoute):
    """Route class for page routers: service errors become HTML error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RateLimited as exc:
                resp = error_page(request, 429, str(exc.detail))
                resp.headers["Retry-After"] = str(exc.retry_after)
                return resp
            except ServiceError as exc:
                detail = exc.detail if isinstance(exc.detail, str) else str(exc)
                return error_page(request, exc.status_code, detail)

        return page_handler
