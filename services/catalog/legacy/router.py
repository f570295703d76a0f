"""Structures in the shape of the reference platform's public API (served by the gateway's facade)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from services.catalog.dependencies import SessionDep
from services.catalog.reference.models import Department, Region, Sector
from services.catalog.structures.models import Activity, Offer, Structure
from services.catalog.structures.repository import by_structure
from services.common.text import slugify
from services.domain.kinds import Family, Kind

router = APIRouter(prefix="/v1/legacy", tags=["compatibilité"], include_in_schema=False)
Multi = Annotated[list[str] | None, Query()]


def structure_slug(structure: Structure) -> str:
    """Readable and unique: name, département, id."""
    return f"{slugify(structure.name)}-{structure.department_code or 'fr'}-{structure.id}"


def _aware(moment: datetime) -> datetime:
    """A date-time without zone is read as UTC, as the reference API does."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _split(values: list[str] | None) -> set[str]:
    return {v.strip() for value in values or [] for v in value.split(",") if v.strip()}


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
    statement = select(Structure).order_by(col(Structure.id))
    if is_active is not None:
        statement = statement.where(Structure.is_active == is_active)
    if kinds := _split(kind):
        statement = statement.where(col(Structure.kind).in_(kinds))
    if department:
        statement = statement.where(Structure.department_code == department)
    if updated_at_after:
        statement = statement.where(Structure.updated_at >= _aware(updated_at_after))
    if updated_at_before:
        statement = statement.where(Structure.updated_at <= _aware(updated_at_before))
    if siren:
        statement = statement.where(Structure.siren == siren)
    if siret:
        statement = statement.where(Structure.siret == siret)
    if structure_id is not None:
        statement = statement.where(Structure.id == structure_id)
    if slug:
        match = re.search(r"-(\d+)$", slug)
        statement = statement.where(Structure.id == (int(match.group(1)) if match else 0))
    if wanted := _split(sectors):
        statement = statement.where(
            col(Structure.id).in_(
                select(Activity.structure_id).where(col(Activity.sector_slug).in_(wanted))
            )
        )
    structures = list(session.exec(statement))
    if slug:
        structures = [s for s in structures if structure_slug(s) == slug]
    ids = [s.id for s in structures if s.id is not None]
    activities = by_structure(session, Activity, ids)
    if wanted_presta := _split(presta_types):
        structures = [
            s
            for s in structures
            if wanted_presta & {p for a in activities.get(s.id or 0, []) for p in a.presta_types}
        ]
    if wanted_networks := _split(networks):
        structures = [s for s in structures if wanted_networks & set(s.networks)]
    page = structures[offset : offset + limit]
    page_ids = [s.id for s in page if s.id is not None]
    offers = by_structure(session, Offer, page_ids)
    sector_names = {s.slug: s.name for s in session.exec(select(Sector))}
    departments = {d.code: d.name for d in session.exec(select(Department))}
    regions = {r.code: r.name for r in session.exec(select(Region))}
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
