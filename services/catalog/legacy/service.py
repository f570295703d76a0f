"""Structures in the shape of the reference platform's public API: filtering and the record shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from services.catalog.legacy.repository import LegacyFilters, LegacyRepository
from services.catalog.reference.repository import ReferenceRepository
from services.catalog.structures.models import Activity, Offer, Structure
from services.catalog.structures.repository import StructureRepository
from services.common.text import slugify
from services.domain.kinds import Family, Kind


def structure_slug(structure: Structure) -> str:
    """Readable and unique: name, département, id."""
    return f"{slugify(structure.name)}-{structure.department_code or 'fr'}-{structure.id}"


def aware(moment: datetime) -> datetime:
    """A date-time without zone is read as UTC, as the reference API does."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LegacyQuery:
    filters: LegacyFilters
    slug: str | None
    presta_types: frozenset[str]
    networks: frozenset[str]
    offset: int
    limit: int


def _legacy(
    structure: Structure,
    activities: list[Activity],
    offers: list[Offer],
    sectors: dict[str, str],
    departments: dict[str, str],
    regions: dict[str, str],
) -> dict[str, Any]:
    kind = Kind(structure.kind)
    return {
        "id": structure.id,
        "name": structure.name,
        "brand": structure.brand or "",
        "slug": structure_slug(structure),
        "siret": structure.siret or "",
        "nature": "HEAD_OFFICE",
        "kind": kind.value,
        "kind_parent": "Handicap" if structure.family == Family.HANDICAP else "Insertion",
        "contact_website": structure.website or "",
        "contact_social_website": "",
        "logo_url": structure.logo_url or "",
        "address": structure.address or "",
        "city": structure.city or "",
        "post_code": structure.postcode or "",
        "department": departments.get(structure.department_code or "", ""),
        "region": regions.get(structure.region_code or "", ""),
        "is_qpv": structure.is_qpv,
        "is_active": structure.is_active,
        "sectors": [
            {"name": sectors.get(slug, slug), "slug": slug}
            for slug in sorted({a.sector_slug for a in activities})
        ],
        "presta_types": sorted({p for a in activities for p in a.presta_types}),
        "networks": [{"name": n, "slug": n} for n in structure.networks],
        "offers": [
            {"name": o.title, "description": o.description or ""} for o in offers if o.is_active
        ],
        "client_references": [
            {
                "name": r.get("name", ""),
                "description": r.get("description") or "",
                "logo_url": r.get("logo_url") or "",
            }
            for r in structure.client_references
        ],
        "labels_old": [{"name": label} for label in structure.labels],
        "created_at": structure.created_at.isoformat(),
        "updated_at": structure.updated_at.isoformat(),
    }


def list_siae(session: Session, query: LegacyQuery) -> dict[str, Any]:
    structures = LegacyRepository(session).structures(query.filters)
    if query.slug:
        structures = [s for s in structures if structure_slug(s) == query.slug]
    repository = StructureRepository(session)
    activities = repository.activities_of([s.id for s in structures if s.id is not None])
    if query.presta_types:
        structures = [
            s
            for s in structures
            if query.presta_types
            & {p for a in activities.get(s.id or 0, []) for p in a.presta_types}
        ]
    if query.networks:
        structures = [s for s in structures if query.networks & set(s.networks)]
    page = structures[query.offset : query.offset + query.limit]
    offers = repository.offers_of([s.id for s in page if s.id is not None])
    reference = ReferenceRepository(session)
    sector_names = reference.sector_names()
    departments = reference.department_names()
    regions = reference.region_names()
    return {
        "count": len(structures),
        "results": [
            _legacy(
                s,
                activities.get(s.id or 0, []),
                offers.get(s.id or 0, []),
                sector_names,
                departments,
                regions,
            )
            for s in page
        ],
    }
