"""The catalog service: structures, their activities, imports, and the outbox to the index."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from fastapi import FastAPI
from meilisearch_python_sdk import AsyncClient
from sqlalchemy.engine import Engine

from services.catalog.indexing.index import SearchIndexWriter
from services.catalog.indexing.relay import OutboxRelay
from services.catalog.settings import CatalogSettings, get_settings
from services.catalog.structures.router import router as structures_router
from services.common.app import create_service_app
from services.common.db import make_engine, ping
from services.common.health import ReadinessCheck
from services.common.search_engine import search_engine_client


def make_relay(settings: CatalogSettings, client: AsyncClient, engine: Engine) -> OutboxRelay:
    return OutboxRelay(
        engine,
        SearchIndexWriter(client, settings.meili_index),
        batch_size=settings.relay_batch_size,
        interval_s=settings.relay_interval_s,
        max_backoff_s=settings.relay_max_backoff_s,
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        client = search_engine_client(settings)
        app.state.engine = engine
        app.state.meili = client
        app.state.relay = make_relay(settings, client, engine)
        stop = asyncio.Event()
        relay_task = (
            asyncio.create_task(app.state.relay.run(stop)) if settings.relay_enabled else None
        )
        try:
            yield
        finally:
            stop.set()
            if relay_task is not None:
                await relay_task
            await client.aclose()
            engine.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        async def database() -> None:
            await to_thread.run_sync(ping, app.state.engine)

        async def search_engine() -> None:
            await app.state.meili.health()

        return {"database": database, "search_engine": search_engine}

    return create_service_app(
        service="catalog",
        title="Marché inclusif — catalogue",
        description="Structures inclusives (SIAE, EA, ESAT), leurs activités et leurs offres.",
        settings=settings,
        lifespan=lifespan,
        routers=[structures_router],
        readiness=readiness,
    )
