"""Structures in the shape of the reference platform's public API: filtering and the record shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session

from services.catalog.legacy.repository import LegacyFilters, LegacyRepository
from services.catalog.reference.repository import ReferenceRepository
from services.catalog.structures.models import Activity, Offer, Structure
from services.catalog.structures.repository import StructureRepository
from services.common.db import as_utc
from services.common.text import slugify
from services.domain.kinds import Family, Kind


def structure_slug(structure: Structure) -> str:
    """Readable and unique: name, département, id."""
    return f"{slugify(structure.name)}-{structure.department_code or 'fr'}-{structure.id}"


# The FINESS list dates none of its rows; the list itself was last published on this day.
FINESS_LIST_DATE = date(2026, 6, 24)
# Who changes a listing after its import: their changes move its `updated_at`.
_EDITORS = frozenset({"manager", "staff"})


@dataclass(frozen=True)
class LegacyQuery:
    filters: LegacyFilters
    slug: str | None
    presta_types: frozenset[str]
    networks: frozenset[str]
    offset: int
    limit: int
    updated_after: datetime | None = None
    updated_before: datetime | None = None


@dataclass(frozen=True)
class SourceDates:
    created_at: datetime
    updated_at: datetime


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def source_dates(
    structure: Structure, activities: list[Activity], offers: list[Offer]
) -> SourceDates:
    """The dates of the listing as its source gives them, not those of our import: the source's
    last update (the FINESS list's publication for ESAT, which date no row), moved forward by the
    changes managers or staff made since. The public files keep no creation date we import, so
    `created_at` is the earliest date the source vouches for."""
    published = structure.source_updated_at or FINESS_LIST_DATE
    source = _midnight(published)
    edits = [
        datetime.fromisoformat(stamp["at"])
        for stamp in structure.field_sources.values()
        if stamp.get("source") in _EDITORS and stamp.get("at")
    ]
    edits += [as_utc(a.updated_at) for a in activities if not a.inferred]
    edits += [as_utc(o.updated_at) for o in offers]
    return SourceDates(source, max([source, *(as_utc(e) for e in edits)]))


def _legacy(
    structure: Structure,
    activities: list[Activity],
    offers: list[Offer],
    dates: SourceDates,
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
        "created_at": dates.created_at.isoformat(),
        "updated_at": dates.updated_at.isoformat(),
    }


def _answer(
    session: Session,
    count: int,
    page: list[Structure],
    activities: dict[int, list[Activity]],
    offers: dict[int, list[Offer]],
    dates: dict[int, SourceDates],
) -> dict[str, Any]:
    reference = ReferenceRepository(session)
    sector_names = reference.sector_names()
    departments = reference.department_names()
    regions = reference.region_names()
    return {
        "count": count,
        "results": [
            _legacy(
                s,
                activities.get(s.id or 0, []),
                offers.get(s.id or 0, []),
                dates[s.id or 0],
                sector_names,
                departments,
                regions,
            )
            for s in page
        ],
    }


def list_siae(session: Session, query: LegacyQuery) -> dict[str, Any]:
    legacy, repository = LegacyRepository(session), StructureRepository(session)
    if not (
        query.slug
        or query.presta_types
        or query.networks
        or query.updated_after
        or query.updated_before
    ):
        # Every filter is the database's: one page read, whatever the size of the catalog.
        page = legacy.structures(query.filters, query.offset, query.limit)
        ids = [s.id for s in page if s.id is not None]
        activities, offers = repository.activities_of(ids), repository.offers_of(ids)
        dates = {
            s.id or 0: source_dates(s, activities.get(s.id or 0, []), offers.get(s.id or 0, []))
            for s in page
        }
        return _answer(session, legacy.count(query.filters), page, activities, offers, dates)
    structures = legacy.structures(query.filters)
    if query.slug:
        structures = [s for s in structures if structure_slug(s) == query.slug]
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
    offers = repository.offers_of([s.id for s in structures if s.id is not None])
    dates = {
        s.id or 0: source_dates(s, activities.get(s.id or 0, []), offers.get(s.id or 0, []))
        for s in structures
    }
    if query.updated_after is not None:
        after = as_utc(query.updated_after)
        structures = [s for s in structures if dates[s.id or 0].updated_at >= after]
    if query.updated_before is not None:
        before = as_utc(query.updated_before)
        structures = [s for s in structures if dates[s.id or 0].updated_at <= before]
    page = structures[query.offset : query.offset + query.limit]
    return _answer(session, len(structures), page, activities, offers, dates)
