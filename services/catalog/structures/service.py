"""The rules of a structure's listing: who may change what, and what follows from a change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.activities.schemas import ActivityPublic
from services.catalog.audit import service as audit
from services.catalog.concurrency import take_version
from services.catalog.media.public import StructureMedia, media_of
from services.catalog.outbox.service import record_listing_change
from services.catalog.ownership.permissions import require_manager
from services.catalog.reference.models import Commune
from services.catalog.structures.models import Activity, Structure
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.schemas import (
    STAFF_ONLY_FIELDS,
    StructurePage,
    StructurePublic,
    StructureUpdate,
)
from services.catalog.structures.validation import check_commune
from services.common.db import utcnow
from services.common.errors import Forbidden, NotFound
from services.common.identity import Principal
from services.domain.kinds import KIND_LABELS, Kind, family_of

ZRR_CLASSED = frozenset({"C", "PC"})


def activity_public(activity: Activity) -> ActivityPublic:
    return ActivityPublic(
        id=activity.id or 0,
        sector=activity.sector_slug,
        presta_types=activity.presta_types,
        range=activity.range_kind,
        radius_km=activity.radius_km,
        zones=activity.zones,
        inferred=activity.inferred,
        version=activity.version,
    )


def to_public(
    structure: Structure, activities: list[Activity], media: StructureMedia | None = None
) -> StructurePublic:
    return StructurePublic.model_validate(
        {
            **structure.model_dump(),
            "field_sources": {
                name: {"source": s["source"], "at": s["at"]}
                for name, s in structure.field_sources.items()
            },
            "kind_label": KIND_LABELS[Kind(structure.kind)],
            "activities": [activity_public(a) for a in activities],
            "logo": media.logo if media else None,
            "photos": media.photos if media else [],
        }
    )


def public_structure(session: Session, structure: Structure) -> StructurePublic:
    """The structure as the API reads it: with its activities, logo and photos."""
    assert structure.id is not None
    return to_public(
        structure,
        activities_of(session, structure.id),
        media_of(session, [structure.id])[structure.id],
    )


def activities_of(session: Session, structure_id: int) -> list[Activity]:
    return StructureRepository(session).activities_of([structure_id])[structure_id]


def list_structures(session: Session, kind: Kind | None, page: int, per_page: int) -> StructurePage:
    """Active structures, in id order, a page at a time."""
    repository = StructureRepository(session)
    total, rows = repository.page(kind, (page - 1) * per_page, per_page)
    ids = [s.id for s in rows if s.id is not None]
    activities = repository.activities_of(ids)
    media = media_of(session, ids)
    return StructurePage(
        total=total,
        page=page,
        per_page=per_page,
        items=[to_public(s, activities[s.id], media[s.id]) for s in rows if s.id is not None],
    )


def get_structure(session: Session, structure_id: int, include_delisted: bool = False) -> Structure:
    structure = StructureRepository(session).get(structure_id)
    if structure is None or not (structure.is_active or include_delisted):
        raise NotFound(f"Aucune structure active n'a l'identifiant {structure_id}.")
    return structure


def place_of(commune: Commune) -> dict[str, Any]:
    """What a commune decides about a structure located in it."""
    place: dict[str, Any] = {
        "commune_code": commune.code,
        "department_code": commune.department_code,
        "region_code": commune.region_code,
        "is_zrr": commune.zrr_status in ZRR_CLASSED,
        "is_qpv": commune.qpv_count > 0,
    }
    if commune.latitude is not None and commune.longitude is not None:
        place |= {
            "latitude": commune.latitude,
            "longitude": commune.longitude,
            "coordinates_source": "commune_centre",
        }
    return place


def stamp_sources(structure: Structure, fields: list[str], source: str) -> None:
    at = utcnow().isoformat(timespec="seconds")
    structure.field_sources = {
        **structure.field_sources,
        **{name: {"source": source, "at": at} for name in fields},
    }


def update_structure(
    session: Session,
    principal: Principal,
    structure_id: int,
    expected_version: int,
    update: StructureUpdate,
) -> Structure:
    structure = get_structure(session, structure_id, include_delisted=principal.is_staff)
    require_manager(session, principal, structure_id)
    changes = update.changes()
    if not principal.is_staff:
        forbidden = sorted(STAFF_ONLY_FIELDS & changes.keys())
        if forbidden:
            raise Forbidden(
                f"Seule l'équipe de la plateforme peut modifier : {', '.join(forbidden)}."
            )
    if "commune_code" in changes or "postcode" in changes:
        commune_code = changes.get("commune_code", structure.commune_code)
        if commune_code is None:
            raise Forbidden("Indiquez la commune (commune_code) avec le code postal.")
        commune = check_commune(session, commune_code, changes.get("postcode", structure.postcode))
        if commune.code != structure.commune_code:
            # A move: the town shown with the address follows the commune.
            changes |= place_of(commune) | {"city": commune.name}
    if "kind" in changes:
        changes["kind"] = Kind(changes["kind"])
        changes["family"] = family_of(changes["kind"])

    structure.version = take_version(session, Structure, structure_id, expected_version)
    before = {name: getattr(structure, name) for name in changes}
    for name, value in changes.items():
        setattr(structure, name, value)
    changed = audit.diff(before, changes)
    stamp_sources(structure, list(changed), "staff" if principal.is_staff else "manager")
    structure.updated_at = utcnow()
    session.add(structure)
    record_listing_change(
        session, principal, structure_id, "structure.update", "structure", structure_id, changed
    )
    session.flush()
    return structure
