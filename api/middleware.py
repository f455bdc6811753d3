"""ASGI middleware around the whole app: security headers, request ids and a boundary
for unexpected errors, and per-route request body limits.

`install_middleware(app, settings)` adds them; from the outside in:

- `SecurityHeaders`: a strict Content-Security-Policy (scripts, styles, images only
  from this origin: no inline code, no eval), `frame-ancestors` from
  PATHWAYS_FRAME_ANCESTORS (with the matching X-Frame-Options when it can express
  it), `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and HSTS
  on HTTPS. FastAPI's /docs page loads Swagger UI from its CDN; its policy allows
  that CDN and, by hash, the page's own inline script.
- `RequestContext`: an `X-Request-ID` on every response; an exception no handler
  took becomes a JSON 500 carrying that id, and one log line with the id, the route
  and the exception's type and first line, never SQL parameters (the engine hides
  them too) or the request's query and body.
- `BodySizeLimit`: refuses a body larger than its route allows with a JSON 413,
  before anything reads it (a declared Content-Length) or as soon as a streamed
  body passes the limit, so nothing unauthenticated is parsed at any size.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import traceback
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

logger = logging.getLogger("pathways.errors")

ANSWER_BODY_BYTES = 16 * 1024  # an answer is a few hundred bytes of JSON
MULTIPART_ALLOWANCE = 64 * 1024  # form fields and part headers around an uploaded file
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
SWAGGER_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the middleware (call after the app's other middleware: these wrap them)."""
    app.add_middleware(BodySizeLimit, settings=settings)
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders, settings=settings)


# -- security headers ---------------------------------------------------------------


def content_security_policy(frame_ancestors: str, *, docs_scripts: tuple[str, ...] = ()) -> str:
    """The policy for our pages, or (with `docs_scripts`, hashes) for the /docs page."""
    if docs_scripts:
        script = ["'self'", SWAGGER_CDN, *docs_scripts]
        style = ["'self'", SWAGGER_CDN, "'unsafe-inline'"]  # Swagger UI's own styling
        img = ["'self'", "data:", "https://fastapi.tiangolo.com"]
    else:
        script, style, img = ["'self'"], ["'self'"], ["'self'"]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": style,
        "img-src": img,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": [frame_ancestors],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def _script_hashes(body: bytes) -> tuple[str, ...]:
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(body)
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.frame_ancestors = settings.frame_ancestors
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        frame_options = {"'none'": b"DENY", "'self'": b"SAMEORIGIN"}.get(settings.frame_ancestors)
        if frame_options:
            common.append((b"x-frame-options", frame_options))
        self.common = common
        self.csp = content_security_policy(settings.frame_ancestors).encode()
        age = settings.hsts_max_age_seconds
        self.hsts = f"max-age={age}".encode() if age else None

    def _headers(self, scope: Scope, csp: bytes) -> list[tuple[bytes, bytes]]:
        out = [*self.common, (b"content-security-policy", csp)]
        if self.hsts and scope.get("scheme") == "https":
            out.append((b"strict-transport-security", self.hsts))
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                # A page that must post a form elsewhere (an LTI deep-linking return)
                # sends its own, equally strict policy with that one origin added.
                set_csp = [v for k, v in own if k.lower() == b"content-security-policy"]
                csp = set_csp[0] if set_csp else self.csp
                own = [(k, v) for k, v in own if k.lower() != b"content-security-policy"]
                message["headers"] = [*own, *self._headers(scope, csp)]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the (small) docs page until its end, to allow its inline script by hash."""
        held: list[Message] = []
        body = b""

        async def hold(message: Message) -> None:
            nonlocal body
            held.append(message)
            if message["type"] == "http.response.body":
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    csp = content_security_policy(
                        self.frame_ancestors, docs_scripts=_script_hashes(body)
                    ).encode()
                    for m in held:
                        if m["type"] == "http.response.start":
                            m["headers"] = [*m.get("headers", []), *self._headers(scope, csp)]
                        await send(m)
                    held.clear()

        await self.app(scope, receive, hold)


# -- request ids and unexpected errors --------------------------------------------------


def describe(exc: BaseException) -> str:
    """An exception's type and first line, without SQL parameters or a database's
    DETAIL lines (which quote the values)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        first = (str(exc.orig).splitlines() or [""])[0]
        return f"{type(exc).__name__} ({type(exc.orig).__name__}): {first[:300]}"
    first = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:300]}"


def _where(exc: BaseException) -> str:
    """Where it failed: our innermost frames (file:line function), no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames[-1:]
    return " < ".join(
        f"{'/'.join(f.filename.rsplit('/', 2)[-2:])}:{f.lineno} {f.name}" for f in ours[::-1][:6]
    )


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.error(
                "request %s %s %s failed: %s [at %s]",
                rid,
                scope.get("method", "?"),
                scope.get("path", "?"),
                describe(exc),
                _where(exc),
            )
            if started:  # the reply is half sent: the server closes the connection
                return
            reply = JSONResponse(
                {"detail": "internal server error", "request_id": rid}, status_code=500
            )
            await reply(scope, receive, send_with_id)


# -- body size ---------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: at most {limit} bytes here")


class BodySizeLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default = settings.max_body_bytes
        imports = settings.max_import_bytes + MULTIPART_ALLOWANCE
        self.routes = {
            "/api/practice/answers": ANSWER_BODY_BYTES,
            "/api/content/import": imports,
            "/designer/import": imports,
            "/api/roster/imports": imports,
            "/admin/roster": imports,
        }

    def limit_for(self, path: str) -> int:
        return self.routes.get(path.rstrip("/") or "/", self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _refuse(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    detail: dict[str, Any] = {"detail": BodyTooLarge(limit).detail}
    # The unread rest of the body cannot be skipped cheaply: end the connection.
    reply = JSONResponse(detail, status_code=413, headers={"Connection": "close"})
    await reply(scope, receive, send)
