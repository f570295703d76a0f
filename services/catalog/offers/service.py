"""Managers publish and maintain their structure's offers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from services.catalog.audit import service as audit
from services.catalog.concurrency import take_version
from services.catalog.offers.schemas import OfferCreate, OfferPublic, OfferUpdate
from services.catalog.outbox.service import record_structure_changes
from services.catalog.ownership.permissions import require_manager
from services.catalog.structures.models import Activity, Offer
from services.catalog.structures.service import get_structure
from services.catalog.structures.validation import check_sectors, check_zones
from services.catalog.validation import validated
from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.identity import Principal


def to_public(offer: Offer, activities: list[Activity]) -> OfferPublic:
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
        **offer.model_dump(exclude={"delivery_zone", "sector_slug"}),
        sector=offer.sector_slug,
        delivery_zone=zone,
        delivery_zone_inherited=inherited,
    )


def offers_of(session: Session, structure_id: int, include_inactive: bool) -> list[Offer]:
    statement = select(Offer).where(Offer.structure_id == structure_id)
    if not include_inactive:
        statement = statement.where(col(Offer.is_active))
    return list(session.exec(statement.order_by(col(Offer.id))))


def get_offer(session: Session, structure_id: int, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.structure_id != structure_id:
        raise NotFound(f"Aucune offre {offer_id} pour la structure {structure_id}.")
    return offer


def _fields(payload: OfferCreate) -> dict[str, Any]:
    data = payload.model_dump(mode="json")
    data["sector_slug"] = data.pop("sector")
    data["presta_type"] = payload.presta_type
    return data


def _check(session: Session, payload: OfferCreate) -> None:
    check_sectors(session, [payload.sector], "sector")
    if payload.delivery_zone is not None:
        zones = [z.model_dump(mode="json") for z in payload.delivery_zone.zones]
        check_zones(session, zones, "delivery_zone/zones")


def create_offer(
    session: Session, principal: Principal, structure_id: int, payload: OfferCreate
) -> Offer:
    get_structure(session, structure_id)
    require_manager(session, principal, structure_id)
    _check(session, payload)
    offer = Offer(structure_id=structure_id, **_fields(payload))
    session.add(offer)
    session.flush()
    audit.record(
        session,
        principal,
        structure_id,
        "offer.create",
        "offer",
        offer.id,
        audit.diff({}, _fields(payload)),
    )
    record_structure_changes(session, [structure_id])
    return offer


def update_offer(
    session: Session,
    principal: Principal,
    structure_id: int,
    offer_id: int,
    expected_version: int,
    update: OfferUpdate,
) -> Offer:
    require_manager(session, principal, structure_id)
    offer = get_offer(session, structure_id, offer_id)
    current = offer.model_dump(
        exclude={"id", "structure_id", "version", "created_at", "updated_at", "sector_slug"}
    ) | {"sector": offer.sector_slug}
    payload = validated(OfferCreate, current | update.model_dump(exclude_unset=True, mode="json"))
    _check(session, payload)
    offer.version = take_version(session, Offer, offer_id, expected_version)
    fields = _fields(payload)
    before = {name: getattr(offer, name) for name in fields}
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.updated_at = utcnow()
    session.add(offer)
    audit.record(
        session,
        principal,
        structure_id,
        "offer.update",
        "offer",
        offer_id,
        audit.diff(before, fields),
    )
    record_structure_changes(session, [structure_id])
    session.flush()
    return offer


def delete_offer(
    session: Session, principal: Principal, structure_id: int, offer_id: int, expected_version: int
) -> None:
    require_manager(session, principal, structure_id)
    offer = get_offer(session, structure_id, offer_id)
    take_version(session, Offer, offer_id, expected_version)
    audit.record(
        session,
        principal,
        structure_id,
        "offer.delete",
        "offer",
        offer_id,
        {"title": [offer.title, None]},
    )
    record_structure_changes(session, [structure_id])
    session.delete(offer)
    session.flush()
