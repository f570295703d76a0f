"""Aggregated pages: several services asked at once; what one cannot give is said missing."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from services.common.errors import NotFound, UpstreamUnavailable
from services.common.identity import Role
from services.common.params import IdPath
from services.gateway.auth import OptionalCallerDep, open_or
from services.gateway.listing_views.router import record_view
from services.gateway.schemas import StructurePage
from services.gateway.state import GatewayStateDep

router = APIRouter(prefix="/api/v1", tags=["structures"], dependencies=[open_or("catalog:read")])


@router.get(
    "/structures/{structure_id}/page",
    response_model=StructurePage,
    summary="Page complète d'une structure",
)
async def structure_page(
    structure_id: IdPath,
    request: Request,
    caller: OptionalCallerDep,
    state: GatewayStateDep,
) -> StructurePage:
    catalog, sourcing = state.catalog, state.sourcing
    base = f"/v1/structures/{structure_id}"
    structure, offers = await asyncio.gather(
        catalog.fetch(base, request), catalog.fetch(f"{base}/offers", request)
    )
    if structure is None:
        raise UpstreamUnavailable(
            "Le catalogue est momentanément indisponible.", upstream="catalog"
        )
    if structure[0] != 200:
        raise NotFound(f"Aucune structure active n'a l'identifiant {structure_id}.")
    record = structure[1]
    missing: list[str] = []
    sectors = sorted({a["sector"] for a in record.get("activities", [])})
    params = {"per_page": "6", "sort": "distance"} | (
        {"commune": record["commune_code"]} if record.get("commune_code") else {}
    )
    if sectors:
        params["sector"] = ",".join(sectors[:10])

    async def members() -> tuple[int, Any] | None:
        # Only a signed-in supplier manager may be one of the structure's managers; staff
        # manage every structure: nobody else costs the catalog a call.
        if caller is None or caller.principal.role != Role.SUPPLIER_MANAGER:
            return (401, None)
        return await catalog.fetch(f"{base}/members", request)

    nearby, membership = await asyncio.gather(
        sourcing.fetch("/v1/search", request, params), members()
    )
    open_needs = None
    manages = caller is not None and (
        caller.principal.is_staff
        or (
            membership is not None
            and membership[0] == 200
            and any(m["account_id"] == caller.principal.account_id for m in membership[1])
        )
    )
    staff = caller is not None and caller.principal.is_staff
    if membership is not None and not manages and not staff:
        await record_view(state, request, structure_id)
    if membership is None:
        missing.append("open_needs")
    elif manages:
        needs = await sourcing.fetch(f"{base}/needs", request, as_staff=True)
        if needs is None or needs[0] != 200:
            missing.append("open_needs")
        else:
            open_needs = needs[1]
    if offers is None or offers[0] != 200:
        missing.append("offers")
    if nearby is None or nearby[0] != 200:
        missing.append("nearby")
    return StructurePage(
        structure=record,
        offers=offers[1] if offers and offers[0] == 200 else None,
        nearby=[h for h in nearby[1]["hits"] if h["id"] != structure_id]
        if nearby and nearby[0] == 200
        else None,
        open_needs=open_needs,
        missing=missing,
    )
