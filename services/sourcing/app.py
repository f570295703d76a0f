"""The sourcing service: buyers search inclusive suppliers by territory and purchasing domain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from services.common.app import create_service_app
from services.common.db import make_engine, ping
from services.common.health import ReadinessCheck
from services.common.http import pooled_client
from services.common.lease import Workers
from services.common.mail import make_mail_relay
from services.common.search_engine import search_only_client
from services.common.state import install_state, replay_guard, state_of
from services.sourcing.alerts.digest import DigestRunner
from services.sourcing.alerts.router import router as alerts_router
from services.sourcing.favourites.router import router as favourites_router
from services.sourcing.market.router import router as market_router
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.needs.router import router as needs_router
from services.sourcing.needs.runner import NeedRunner
from services.sourcing.oeth.router import router as oeth_router
from services.sourcing.projects.router import organisations_router, projects_router
from services.sourcing.reference.router import router as reference_router
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.router import router as search_router
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings, get_settings
from services.sourcing.spend.dashboard_router import router as spend_dashboard_router
from services.sourcing.spend.importer import fail_interrupted
from services.sourcing.spend.router import router as spend_router
from services.sourcing.state import SourcingState

logger = logging.getLogger(__name__)


async def sweep_interrupted(engine: Engine, stop: asyncio.Event, interval_s: float = 5.0) -> None:
    """Fails the imports of a replica that died, once their lease has expired."""
    while not stop.is_set():
        try:
            await to_thread.run_sync(fail_interrupted, engine)
        except Exception as exc:
            logger.warning("interrupted imports not swept", extra={"error": type(exc).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


def create_app(settings: SourcingSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        vocabulary = SearchVocabulary.load(settings.data_dir)
        engine = make_engine(settings.database_url)
        # Imports left running by a process that died will never finish: failed, to be rerun
        # (those another replica runs hold a lease and are left alone); then every few seconds.
        await to_thread.run_sync(fail_interrupted, engine)
        catalog = pooled_client(settings.catalog_url, 10.0)
        mail_relay = make_mail_relay(engine, settings)
        search_engine = SearchEngine(search_only_client(settings), settings.meili_index)
        runner = NeedRunner(
            engine,
            search_engine,
            settings,
            vocabulary,
            CatalogDirectory(catalog, settings.identity_secret),
            mail_relay,
        )
        state = SourcingState(
            engine,
            settings,
            vocabulary,
            search_engine,
            mail_relay,
            runner,
            replay_guard=replay_guard(settings.redis_url, "sourcing"),
        )
        install_state(app, state)
        digests = DigestRunner(engine, search_engine, vocabulary, settings, mail_relay)
        stop = asyncio.Event()
        # However many replicas run, one of each worker runs at a time (leases); only the
        # holder of the mail lease sends, whoever queued the mail.
        workers = app.state.workers = Workers(engine)
        # Mail goes out within a second of being queued, not at the runner's next pass.
        if settings.background_enabled:
            mail_relay.may_send = lambda: workers.lease("mail").held
            workers.start(
                stop,
                {
                    "needs": runner.run,
                    "digests": digests.run,
                    "mail": mail_relay.run,
                    "interrupted-imports": lambda stop: sweep_interrupted(engine, stop),
                },
            )
        try:
            yield
        finally:
            stop.set()
            await workers.wait()
            state.replay_guard.close()
            await search_engine.aclose()
            await catalog.aclose()
            engine.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        state = state_of(app, SourcingState)

        async def database() -> None:
            await to_thread.run_sync(ping, state.engine)

        return {"search_engine": state.search_engine.check, "database": database}

    return create_service_app(
        service="sourcing",
        title="Marché inclusif — sourcing",
        description="Recherche de fournisseurs inclusifs par territoire et domaine d'achat.",
        settings=settings,
        lifespan=lifespan,
        routers=[
            search_router,
            market_router,
            needs_router,
            reference_router,
            favourites_router,
            alerts_router,
            organisations_router,
            projects_router,
            spend_router,
            oeth_router,
            spend_dashboard_router,
        ],
        readiness=readiness,
        details=lambda app: app.state.workers.detail(),
    )
