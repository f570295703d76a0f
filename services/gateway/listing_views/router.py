"""Listing views: counted as the public structure page is served; read by the structure's
managers and staff."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.common.errors import Forbidden, NotFound, UpstreamUnavailable
from services.common.params import IdPath
from services.gateway.auth import CallerDep, requires
from services.gateway.listing_views.service import (
    add_view,
    count_view,
    first_visit_in_redis,
    is_robot,
    today,
    views_of,
)
from services.gateway.quota_middleware import client_address
from services.gateway.state import GatewayState, GatewayStateDep

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["structures"])


class MonthViews(BaseModel):
    month: str = Field(description="AAAA-MM")
    views: int


class WeekViews(BaseModel):
    week: str = Field(description="Semaine ISO, AAAA-Www")
    start: str = Field(description="Le lundi de la semaine")
    views: int


class ListingViews(BaseModel):
    method: str = Field(description="Comment les vues sont comptées, en clair")
    total: int
    months: list[MonthViews] = Field(description="Les trois derniers mois, le plus ancien d'abord")
    weeks: list[WeekViews] = Field(description="Les douze dernières semaines")


async def record_view(state: GatewayState, request: Request, structure_id: int) -> None:
    """One view of the structure's public page, unless a robot asked or this visitor was
    counted today; a failure to count never fails the page."""
    user_agent = request.headers.get("user-agent", "")
    if is_robot(user_agent):
        return
    address, day = client_address(request.scope, state.settings.trusted_proxies), today()
    try:
        if state.redis is None:
            await to_thread.run_sync(
                count_view, state.engine, structure_id, address, user_agent, day
            )
        elif await first_visit_in_redis(state.redis, structure_id, address, user_agent, day):
            await to_thread.run_sync(add_view, state.engine, structure_id, day)
    except (SQLAlchemyError, RedisError):
        logger.warning("listing view not counted", extra={"structure_id": structure_id})


@router.get(
    "/structures/{structure_id}/views",
    response_model=ListingViews,
    summary="Vues de la fiche publique (gestionnaires de la structure, équipe)",
    description=(
        "Une vue par visiteur, par structure et par jour, quand la page publique est lue "
        "(`GET /structures/{id}/page`) ; ni les gestionnaires de la structure, ni l'équipe, "
        "ni les robots ne sont comptés. `method` le dit en français."
    ),
    dependencies=[requires("catalog:read")],
)
async def listing_views(
    structure_id: IdPath, request: Request, caller: CallerDep, state: GatewayStateDep
) -> dict[str, Any]:
    if not caller.principal.is_staff:
        members = await state.catalog.fetch(f"/v1/structures/{structure_id}/members", request)
        if members is None:
            raise UpstreamUnavailable(
                "Le catalogue est momentanément indisponible.", upstream="catalog"
            )
        if members[0] == 404:
            raise NotFound(f"Aucune structure n'a l'identifiant {structure_id}.")
        if members[0] != 200 or not any(
            m["account_id"] == caller.principal.account_id for m in members[1]
        ):
            raise Forbidden("Vous ne gérez pas cette structure.")
    return await to_thread.run_sync(views_of, state.engine, structure_id, today())
