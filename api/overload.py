"""A bounded queue: beyond MAX_CONCURRENT_REQUESTS at once, a fast 503 with Retry-After.

Without a bound, a process offered more than it can serve queues everything: with
300 clients on one process the 99th percentile reached 34 s, long after any client
had given up, and nobody was told to come back later. Requests in flight (received
and not yet answered, including those waiting for a worker thread or the database)
are counted per process; a request beyond the bound is refused at once, before its
body is read, with 503 and `Retry-After` (jittered over 1-2 s, so refused clients do
not all return in step). A client sends the same request again after that time; an
answer with the same idempotency key is stored at most once however often it is
sent (the web front end, the load benchmark's clients and the tests do this).

/api/health and /static/ are not counted: monitoring must see a busy server as alive,
and a page that was served should get its stylesheet.
"""

from __future__ import annotations

import random
import threading

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.error_responses import error_content

EXEMPT_PREFIXES = ("/api/health", "/static/")
RETRY_AFTER_S = (1, 2)
BUSY_MESSAGE = "The server is busy. Please send the same request again in a moment."


class ShedLoad:
    """Answer 503 + Retry-After beyond `limit` requests in flight (0: no limit)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.inflight = 0
        self.shed = 0  # refused so far (for tests and the curious)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        with self._lock:
            admitted = self.inflight < self.limit
            if admitted:
                self.inflight += 1
            else:
                self.shed += 1
        if not admitted:
            await self._busy(scope)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.inflight -= 1

    def _busy(self, scope: Scope) -> Response:
        headers = {"Retry-After": str(random.randint(*RETRY_AFTER_S))}
        if scope["path"].startswith("/api/"):
            return JSONResponse(error_content(BUSY_MESSAGE), status_code=503, headers=headers)
        return busy_page(Request(scope), int(headers["Retry-After"]), headers)


def busy_page(
    request: Request, retry_after: int, headers: dict[str, str] | None = None
) -> Response:
    """The HTML 503 page: app.js sends a remembered answer again after `retry_after`
    seconds (or reloads a page); without JavaScript a page reloads itself (Refresh)."""
    from api.pages.errors import ERROR_TITLES
    from api.pages.templating import render

    method = request.method
    page = render(
        request,
        "error.html",
        {
            "title": ERROR_TITLES[503],
            "message": BUSY_MESSAGE,
            "status": 503,
            "retry_after": retry_after,
            "method": method,
        },
        status_code=503,
        headers={"Retry-After": str(retry_after), **(headers or {})},
    )
    if method == "GET":
        page.headers["Refresh"] = str(retry_after)
    return page
