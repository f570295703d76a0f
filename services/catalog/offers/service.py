"""Managers publish and maintain their structure's offers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.media.schemas import MediaPublic
from services.catalog.offers.schemas import OfferCreate, OfferPublic
from services.catalog.structures.children import ChildRows
from services.catalog.structures.models import Activity, Offer
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.validation import check_sectors, check_zones


def to_public(
    offer: Offer, activities: list[Activity], photos: list[MediaPublic] | None = None
) -> OfferPublic:
    zone = offer.delivery_zone
    inherited = zone is None
    if zone is None:
        activity = next((a for a in activities if a.sector_slug == offer.sector_slug), None)
        if activity is not None:
            zone = {
                "range": activity.range_kind,
                "radius_km": activity.radius_km,
                "zones": activity.zones,
            }
    return OfferPublic(
        **offer.model_dump(exclude={"delivery_zone", "sector_slug", "photos"}),
        photos=photos or [],
        photo_urls=offer.photos,
        sector=offer.sector_slug,
        delivery_zone=zone,
        delivery_zone_inherited=inherited,
    )


def offers_of(session: Session, structure_id: int, include_inactive: bool) -> list[Offer]:
    return StructureRepository(session).offers(structure_id, include_inactive)


class OfferRows(ChildRows[Offer, OfferCreate]):
    table = Offer
    payload = OfferCreate
    entity = "offer"
    missing = "Aucune offre {child_id} pour la structure {structure_id}."

    def fields(self, payload: OfferCreate) -> dict[str, Any]:
        data = payload.model_dump(mode="json")
        data["sector_slug"] = data.pop("sector")
        data["presta_type"] = payload.presta_type
        return data

    def check(self, session: Session, payload: OfferCreate) -> None:
        check_sectors(session, [payload.sector], "sector")
        if payload.delivery_zone is not None:
            zones = [z.model_dump(mode="json") for z in payload.delivery_zone.zones]
            check_zones(session, zones, "delivery_zone/zones")

    def current(self, row: Offer, sent: dict[str, Any]) -> dict[str, Any]:
        return row.model_dump(
            exclude={"id", "structure_id", "version", "created_at", "updated_at", "sector_slug"}
        ) | {"sector": row.sector_slug}

    def removed(self, row: Offer) -> dict[str, list[Any]]:
        return {"title": [row.title, None]}


offers = OfferRows()
