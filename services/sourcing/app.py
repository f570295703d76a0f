"""The sourcing service: buyers search inclusive suppliers by territory and purchasing domain."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.db import make_engine, ping
from services.common.health import ReadinessCheck
from services.common.http import pooled_client
from services.common.mail import make_mail_relay
from services.common.search_engine import search_only_client
from services.common.state import ServiceState, install_state
from services.sourcing.market.router import router as market_router
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.needs.router import router as needs_router
from services.sourcing.needs.runner import NeedRunner
from services.sourcing.reference.router import router as reference_router
from services.sourcing.search.router import router as search_router
from services.sourcing.search.service import RadiusValues
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings, get_settings


def create_app(settings: SourcingSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.vocabulary = SearchVocabulary.load(settings.data_dir)
        app.state.radius_values = RadiusValues()
        app.state.engine = make_engine(settings.database_url)
        install_state(app, ServiceState(app.state.engine))
        catalog = pooled_client(settings.catalog_url, 10.0)
        app.state.mail_relay = make_mail_relay(app.state.engine, settings)
        app.state.meili = search_only_client(settings)
        app.state.runner = NeedRunner(
            app.state.engine,
            app.state.meili,
            settings,
            app.state.vocabulary,
            app.state.radius_values,
            CatalogDirectory(catalog, settings.identity_secret),
            app.state.mail_relay,
        )
        stop = asyncio.Event()
        task = (
            asyncio.create_task(app.state.runner.run(stop)) if settings.background_enabled else None
        )
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await app.state.meili.aclose()
            await catalog.aclose()
            app.state.engine.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        async def search_engine() -> None:
            await app.state.meili.health()
            # A search, which the search-only key may do (reading the index's metadata is not).
            await app.state.meili.index(settings.meili_index).search("", limit=0)

        async def database() -> None:
            await to_thread.run_sync(ping, app.state.engine)

        return {"search_engine": search_engine, "database": database}

    return create_service_app(
        service="sourcing",
        title="Marché inclusif — sourcing",
        description="Recherche de fournisseurs inclusifs par territoire et domaine d'achat.",
        settings=settings,
        lifespan=lifespan,
        routers=[search_router, market_router, needs_router, reference_router],
        readiness=readiness,
    )
