"""The FastAPI app factory: `create_app(settings)`.

Creating the app builds the engine, applies the Alembic migrations (`upgrade head`,
a no-op when current) and mounts one router per resource. `uvicorn --factory
api.main:create_app` works; `pathways serve` is the usual way in.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from api.pages.setup import install_pages
from api.routes import (
    auth,
    classes,
    content,
    fits,
    health,
    items,
    params,
    practice,
    students,
    users,
)
from api.runtime import Runtime
from api.services.errors import RateLimited, ServiceError
from api.settings import Settings, apply_process_settings, load_settings
from models.migrate import upgrade

API_ROUTERS = (
    auth.router,
    health.router,
    users.router,
    classes.router,
    practice.router,
    students.router,
    items.router,
    content.router,
    fits.router,
    params.router,
)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app; `engine` lets tests share an in-memory database."""
    settings = settings or load_settings()
    apply_process_settings(settings)
    runtime = Runtime.create(settings, engine)
    if migrate:
        upgrade(runtime.engine)
    app = FastAPI(
        title="Pathways classroom service",
        summary="Adaptive practice on Bayesian Knowledge Tracing: students, teachers, designers.",
        version="1",
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.add_middleware(RejectNulInUrl)
    for router in API_ROUTERS:
        app.include_router(router)
    _install_error_handlers(app)
    install_pages(app)  # the web front end: page routers, /static, HTML error pages
    return app


class RejectNulInUrl:
    """400 for a NUL character in the path or query: no database can store or match it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
                response = JSONResponse(
                    {"detail": "NUL characters are not allowed in URLs"}, status_code=400
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": jsonable_encoder(exc.detail)},
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with FastAPI's field list plus one readable line per problem."""
        errors = jsonable_encoder(exc.errors())
        lines = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in errors
        ]
        return JSONResponse(
            status_code=422, content={"detail": errors, "message": "; ".join(lines)}
        )
