"""The gateway: the one public door to Marché inclusif."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from services.common.app import create_service_app
from services.common.db import make_engine
from services.common.health import ReadinessCheck
from services.common.http import pooled_client
from services.common.lease import Workers
from services.common.mail import make_mail_relay
from services.common.state import install_state, state_of
from services.gateway.accounts.router import router as accounts_router
from services.gateway.attestations import router as attestations_router
from services.gateway.buyers import router as buyers_router
from services.gateway.edge import EdgeMiddleware
from services.gateway.legacy import open_router as legacy_open_router
from services.gateway.legacy import router as legacy_router
from services.gateway.legacy_tenders import create_tender as _tenders  # noqa: F401  (registers the route)
from services.gateway.listing_views.router import router as listing_views_router
from services.gateway.me import router as me_router
from services.gateway.openapi import merged_openapi
from services.gateway.pages import router as pages_router
from services.gateway.perimeters import load_legacy_sectors, load_perimeters
from services.gateway.projects import router as projects_router
from services.gateway.public_buyers import router as public_buyers_router
from services.gateway.quota_middleware import QuotaMiddleware
from services.gateway.quotas import CounterStore, Limit, MemoryStore, Quotas, RedisStore
from services.gateway.router import router as api_router
from services.gateway.search_cache import SearchCache
from services.gateway.search_cache_middleware import SearchCacheMiddleware
from services.gateway.settings import GatewaySettings, get_settings
from services.gateway.spend import router as spend_router
from services.gateway.state import GatewayState, GatewayStateDep
from services.gateway.upstream import Upstream


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout, connect = settings.upstream_timeout_s, settings.upstream_connect_timeout_s
        secret = settings.identity_secret
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        store: CounterStore = RedisStore(redis) if redis is not None else MemoryStore()
        state = GatewayState(
            engine,
            settings=settings,
            catalog=Upstream(
                "catalog",
                "catalogue",
                pooled_client(settings.catalog_url, timeout, connect),
                secret,
            ),
            sourcing=Upstream(
                "sourcing",
                "de recherche",
                pooled_client(settings.sourcing_url, timeout, connect),
                secret,
            ),
            perimeters=load_perimeters(settings.data_dir),
            legacy_sectors=load_legacy_sectors(settings.data_dir),
            mail_relay=make_mail_relay(engine, settings),
            quotas=Quotas(
                store,
                [
                    Limit("minute", settings.anonymous_per_minute, 60),
                    Limit("day", settings.anonymous_per_day, 86_400),
                ],
            ),
            identified_limits=[
                Limit("minute", settings.identified_per_minute, 60),
                Limit("day", settings.identified_per_day, 86_400),
            ],
            login_throttle=Quotas(store, [], prefix="mi:auth"),
            redis=redis,
            search_cache=(
                SearchCache(redis, settings.search_index, settings.search_cache_ttl_s)
                if redis is not None and settings.search_cache
                else None
            ),
            media_limits=[
                Limit("minute", settings.media_per_minute, 60),
                Limit("day", settings.media_per_day, 86_400),
            ],
        )
        install_state(app, state)
        stop = asyncio.Event()
        # However many replicas run, one sends the mail (a lease).
        workers = app.state.workers = Workers(engine)
        state.mail_relay.may_send = lambda: workers.lease("mail").held
        workers.start(stop, {"mail": state.mail_relay.run})
        try:
            yield
        finally:
            stop.set()
            await workers.wait()
            engine.dispose()
            if redis is not None:
                await redis.aclose()
            await state.catalog.client.aclose()
            await state.sourcing.client.aclose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        state = state_of(app, GatewayState)
        return {"catalog": state.catalog.ping, "sourcing": state.sourcing.ping}

    app = create_service_app(
        service="gateway",
        title="Marché inclusif — API publique",
        description=(
            "Trouvez les fournisseurs inclusifs (SIAE, EA, ESAT) de votre territoire et de votre "
            "domaine d'achat. Données : ASP, FINESS/DREES, INSEE, La Poste, IGN (Licence Ouverte 2.0)."
        ),
        settings=settings,
        lifespan=lifespan,
        routers=[
            pages_router,
            listing_views_router,
            # Before api_router, whose generic structure routes would take these paths.
            attestations_router,
            api_router,
            buyers_router,
            # Before the generic forwarding of /organisations, which would read the body whole.
            spend_router,
            projects_router,
            public_buyers_router,
            accounts_router,
            me_router,
            legacy_router,
            legacy_open_router,
        ],
        readiness=readiness,
        details=lambda app: app.state.workers.detail(),
        trust_incoming_request_id=False,
        openapi_url="/api/openapi-gateway.json",
        docs_path="/api/docs",
        docs_openapi_url="/api/openapi.json",
        inner_middleware=(QuotaMiddleware, SearchCacheMiddleware, EdgeMiddleware),
    )

    @app.get("/api/openapi.json", include_in_schema=False)
    async def openapi_document(state: GatewayStateDep) -> JSONResponse:
        if state.openapi_document is not None:
            return JSONResponse(state.openapi_document)
        document, missing = await merged_openapi(app, [state.catalog, state.sourcing])
        if not missing:  # a partial document is served but not kept
            state.openapi_document = document
        return JSONResponse(document)

    if settings.cors_origins:
        # Outermost, so that refusals (401, 429, 413) carry the CORS headers browsers need.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-Api-Key", "Content-Type", "If-Match"],
            expose_headers=[
                "ETag",
                "X-Request-Id",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
            max_age=600,
        )
    return app
