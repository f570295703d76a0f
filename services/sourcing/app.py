"""The sourcing service: buyers search inclusive suppliers by territory and purchasing domain."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.health import ReadinessCheck
from services.common.search_engine import search_engine_client
from services.sourcing.market.router import router as market_router
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
        app.state.meili = search_engine_client(settings)
        try:
            yield
        finally:
            await app.state.meili.aclose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        async def search_engine() -> None:
            await app.state.meili.health()
            await app.state.meili.get_index(settings.meili_index)

        return {"search_engine": search_engine}

    return create_service_app(
        service="sourcing",
        title="Marché inclusif — sourcing",
        description="Recherche de fournisseurs inclusifs par territoire et domaine d'achat.",
        settings=settings,
        lifespan=lifespan,
        routers=[search_router, market_router],
        readiness=readiness,
    )
