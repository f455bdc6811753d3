"""The FastAPI app factory: `create_app(settings)`.

Creating the app builds the engine, applies the Alembic migrations (`upgrade head`,
a no-op when current) and mounts one router per resource. `uvicorn --factory
api.main:create_app` works; `pathways serve` is the usual way in.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from api import storage
from api.error_responses import ERROR_RESPONSES, error_content, validation_content
from api.lifecycle import watch_parent_from_env
from api.middleware import install_middleware
from api.overload import ShedLoad
from api.pages.errors import error_page
from api.pages.setup import install_pages
from api.routes import (
    account,
    activations,
    audit,
    auth,
    classes,
    content,
    equity,
    family,
    fits,
    goals,
    groups,
    guardians,
    health,
    items,
    lti_admin,
    params,
    practice,
    privacy,
    roster,
    standards,
    students,
    users,
)
from api.runtime import Runtime
from api.services.errors import RateLimited, ServiceError
from api.settings import Settings, apply_process_settings, load_settings
from api.xapi_sender import xapi_lifespan
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
    activations.router,
    account.router,
    guardians.router,
    family.router,
    roster.router,
    privacy.router,
    audit.router,
    lti_admin.router,
    goals.router,
    groups.router,
    standards.router,
    equity.router,
)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app; `engine` lets tests share an in-memory database."""
    watch_parent_from_env()  # a `pathways serve --workers` worker ends with its parent
    settings = settings or load_settings()
    apply_process_settings(settings)
    runtime = Runtime.create(settings, engine)
    storage.monitor(runtime.engine)  # remembers a full or read-only disk for /api/health
    if migrate:
        upgrade(runtime.engine)
    app = FastAPI(
        title="Pathways classroom service",
        summary="Adaptive practice on Bayesian Knowledge Tracing: students, teachers, designers.",
        version="1",
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        lifespan=xapi_lifespan,  # the learning-record sender, while xAPI sending is on
    )
    app.state.runtime = runtime
    app.add_middleware(RejectNulInUrl)
    app.add_middleware(ShedLoad, limit=settings.max_concurrent_requests)  # bounded queue
    install_middleware(app, settings)  # security headers, request ids, body limits
    for router in API_ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)  # every error reply documented
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
                    error_content("NUL characters are not allowed in URLs"), status_code=400
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(
            status_code=exc.status_code, content=error_content(exc.detail), headers=headers
        )

    @app.exception_handler(RequestValidationError)
    def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """422: one readable line for every problem, and FastAPI's field list in `errors`."""
        return JSONResponse(
            status_code=422, content=validation_content(jsonable_encoder(exc.errors()))
        )

    @app.exception_handler(SQLAlchemyError)
    def _storage_error(request: Request, exc: SQLAlchemyError) -> Response:
        """A full or read-only disk, or a database that is gone: 503 saying so (nothing
        was saved); the connection stays usable. Any other database error goes on."""
        problem = storage.classify(exc)
        if problem is None:
            raise exc
        headers = {"Retry-After": str(problem.retry_after)}
        if not request.url.path.startswith("/api/"):
            page = error_page(request, 503, problem.message)
            page.headers.update(headers)
            return page
        return JSONResponse(error_content(problem.message), status_code=503, headers=headers)
