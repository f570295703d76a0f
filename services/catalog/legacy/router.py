"""Structures in the shape of the reference platform's public API (served by the gateway's facade)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.catalog.dependencies import SessionDep
from services.catalog.legacy import service
from services.catalog.legacy.repository import LegacyFilters

router = APIRouter(prefix="/v1/legacy", tags=["compatibilité"], include_in_schema=False)
Multi = Annotated[list[str] | None, Query()]


def _split(values: list[str] | None) -> frozenset[str]:
    return frozenset(v.strip() for value in values or [] for v in value.split(",") if v.strip())


@router.get("/siae")
def list_siae(
    session: SessionDep,
    kind: Multi = None,
    presta_types: Multi = None,
    department: str | None = None,
    sectors: Multi = None,
    networks: Multi = None,
    is_active: bool | None = None,
    updated_at_after: datetime | None = None,
    updated_at_before: datetime | None = None,
    siren: str | None = None,
    siret: str | None = None,
    slug: str | None = None,
    structure_id: int | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    ids: list[int] = [] if structure_id is None else [structure_id]
    if slug:
        match = re.search(r"-(\d+)$", slug)
        ids.append(int(match.group(1)) if match else 0)
    filters = LegacyFilters(
        is_active=is_active,
        kinds=_split(kind),
        department=department or None,
        updated_after=service.aware(updated_at_after) if updated_at_after else None,
        updated_before=service.aware(updated_at_before) if updated_at_before else None,
        siren=siren or None,
        siret=siret or None,
        structure_ids=tuple(ids),
        sectors=_split(sectors),
    )
    query = service.LegacyQuery(
        filters=filters,
        slug=slug or None,
        presta_types=_split(presta_types),
        networks=_split(networks),
        offset=offset,
        limit=limit,
    )
    return service.list_siae(session, query)
