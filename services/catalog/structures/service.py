"""Reading structures as the API shows them."""

from __future__ import annotations

from services.catalog.structures.kinds import KIND_LABELS, Kind
from services.catalog.structures.models import Activity, Structure
from services.catalog.structures.schemas import ActivityPublic, StructurePublic


def to_public(structure: Structure, activities: list[Activity]) -> StructurePublic:
    return StructurePublic.model_validate(
        {
            **structure.model_dump(),
            "kind_label": KIND_LABELS[Kind(structure.kind)],
            "activities": [
                ActivityPublic(
                    id=a.id or 0,
                    sector=a.sector_slug,
                    presta_types=a.presta_types,
                    range=a.range_kind,
                    radius_km=a.radius_km,
                    zones=a.zones,
                )
                for a in activities
            ],
        }
    )
