"""The catalog service: structures, their activities, imports, and the outbox to the index."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from fastapi import FastAPI
from meilisearch_python_sdk import AsyncClient
from sqlalchemy.engine import Engine

from services.catalog.activities.router import router as activities_router
from services.catalog.decp.router import router as public_buyers_router
from services.catalog.imports.router import router as imports_router
from services.catalog.indexing.index import SearchIndexWriter
from services.catalog.indexing.relay import OutboxRelay
from services.catalog.invitations.router import router as invitations_router
from services.catalog.legacy.router import router as legacy_router
from services.catalog.media.router import router as media_router
from services.catalog.offers.router import router as offers_router
from services.catalog.ownership.proofs import ProofStore
from services.catalog.ownership.router import router as ownership_router
from services.catalog.settings import CatalogSettings, get_settings
from services.catalog.state import CatalogState
from services.catalog.structures.router import router as structures_router
from services.catalog.uploads import FileStore
from services.common.app import create_service_app
from services.common.db import make_engine, ping
from services.common.health import ReadinessCheck
from services.common.index_generation import generation_publisher
from services.common.lease import Workers
from services.common.mail import make_mail_relay
from services.common.search_engine import provide_search_key, search_engine_client
from services.common.state import install_state, replay_guard, state_of


def make_relay(settings: CatalogSettings, client: AsyncClient, engine: Engine) -> OutboxRelay:
    return OutboxRelay(
        engine,
        SearchIndexWriter(client, settings.meili_index, settings.data_dir),
        batch_size=settings.relay_batch_size,
        rebuild_batch_size=settings.rebuild_batch_size,
        interval_s=settings.relay_interval_s,
        max_backoff_s=settings.relay_max_backoff_s,
        generations=generation_publisher(settings.redis_url, settings.meili_index),
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        client = search_engine_client(settings)
        await provide_search_key(settings)
        mail_relay = make_mail_relay(engine, settings)
        relay = make_relay(settings, client, engine)
        state = CatalogState(
            engine,
            settings=settings,
            search_index=relay.writer,
            relay=relay,
            mail_relay=mail_relay,
            proofs=ProofStore(settings.proof_dir),
            media=FileStore(settings.media_dir),
            replay_guard=replay_guard(settings.redis_url, "catalog"),
        )
        install_state(app, state)
        stop = asyncio.Event()
        # However many replicas run, one relays the outbox and one sends the mail (leases).
        workers = app.state.workers = Workers(engine)
        if settings.mail_relay_enabled:
            mail_relay.may_send = lambda: workers.lease("mail").held
        workers.start(
            stop,
            {
                **({"outbox": state.relay.run} if settings.relay_enabled else {}),
                **({"mail": state.mail_relay.run} if settings.mail_relay_enabled else {}),
            },
        )
        try:
            yield
        finally:
            stop.set()
            await workers.wait()
            state.replay_guard.close()
            await state.search_index.aclose()
            await relay.generations.aclose()
            engine.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        async def database() -> None:
            await to_thread.run_sync(ping, state_of(app, CatalogState).engine)

        async def search_engine() -> None:
            await state_of(app, CatalogState).search_index.health()

        return {"database": database, "search_engine": search_engine}

    return create_service_app(
        service="catalog",
        title="Marché inclusif — catalogue",
        description="Structures inclusives (SIAE, EA, ESAT), leurs activités et leurs offres.",
        settings=settings,
        lifespan=lifespan,
        routers=[
            structures_router,
            activities_router,
            offers_router,
            ownership_router,
            invitations_router,
            imports_router,
            media_router,
            legacy_router,
            public_buyers_router,
        ],
        readiness=readiness,
        details=lambda app: app.state.workers.detail(),
    )
