"""The app factory every service uses: logging, request ids, problem+json, health."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from services.common.docs import docs_router
from services.common.errors import install_error_handlers
from services.common.health import ReadinessCheck, health_router
from services.common.logging import configure_logging
from services.common.request_id import RequestIdMiddleware
from services.common.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    lifespan: Lifespan,
    routers: list[APIRouter],
    readiness: Callable[[FastAPI], Mapping[str, ReadinessCheck]],
    details: Callable[[FastAPI], Mapping[str, Any]] | None = None,
    trust_incoming_request_id: bool = True,
    inner_middleware: tuple[Callable[[ASGIApp], ASGIApp], ...] = (),
    docs_path: str = "/docs",
    docs_openapi_url: str = "/openapi.json",
    **fastapi_kwargs: Any,
) -> FastAPI:
    configure_logging(service, settings.log_level)
    # The docs page is ours (common/docs.py): FastAPI's own would load its files from a CDN.
    app = FastAPI(
        title=title,
        description=description,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        **fastapi_kwargs,
    )
    app.state.settings = settings
    app.state.service = service  # the audience of the identities it accepts
    install_error_handlers(app)
    # Added first, so they run inside the request-id middleware and see the request id.
    for middleware in inner_middleware:
        app.add_middleware(middleware)
    app.add_middleware(RequestIdMiddleware, trust_incoming=trust_incoming_request_id)
    app.include_router(
        health_router(
            lambda: readiness(app), (lambda: details(app)) if details is not None else None
        )
    )
    app.include_router(docs_router(settings.assets_dir, docs_path, docs_openapi_url, title))
    for router in routers:
        app.include_router(router)
    return app
