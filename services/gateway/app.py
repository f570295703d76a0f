"""The gateway: the one public door to Marché inclusif."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.health import ReadinessCheck
from services.common.http import pooled_client
from services.gateway.router import router as api_router
from services.gateway.settings import GatewaySettings, get_settings
from services.gateway.upstream import Upstream


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout, connect = settings.upstream_timeout_s, settings.upstream_connect_timeout_s
        app.state.catalog = Upstream(
            "catalog", "catalogue", pooled_client(settings.catalog_url, timeout, connect)
        )
        app.state.sourcing = Upstream(
            "sourcing", "de recherche", pooled_client(settings.sourcing_url, timeout, connect)
        )
        try:
            yield
        finally:
            await app.state.catalog.client.aclose()
            await app.state.sourcing.client.aclose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"catalog": app.state.catalog.ping, "sourcing": app.state.sourcing.ping}

    return create_service_app(
        service="gateway",
        title="Marché inclusif — API publique",
        description=(
            "Trouvez les fournisseurs inclusifs (SIAE, EA, ESAT) de votre territoire et de votre "
            "domaine d'achat. Données : ASP, FINESS/DREES, INSEE, La Poste, IGN (Licence Ouverte 2.0)."
        ),
        settings=settings,
        lifespan=lifespan,
        routers=[api_router],
        readiness=readiness,
        trust_incoming_request_id=False,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
