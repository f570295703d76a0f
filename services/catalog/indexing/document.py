"""The one shape of a structure in the search index, built from the catalog's current state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from services.catalog.indexing.coverage import CoverageGeography, coverage_fields
from services.catalog.reference.models import Department, NafCode, Region, Sector, SectorGroup
from services.catalog.structures.models import Activity, Offer, RangeKind, Structure
from services.catalog.structures.repository import by_structure
from services.domain.bands import HEADCOUNT_BANDS, TURNOVER_BANDS, band
from services.domain.kinds import KIND_LABELS, SIAE_KINDS, Kind, PrestaType
from services.domain.reservations import reservations_of


@dataclass(frozen=True)
class SectorRef:
    slug: str
    name: str
    group_slug: str
    group_name: str


@dataclass(frozen=True)
class Vocabulary:
    """Labels the documents carry so that search can match and show them."""

    departments: dict[str, str]
    regions: dict[str, str]
    sectors: dict[str, SectorRef]
    naf_labels: dict[str, str]
    geography: CoverageGeography

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        groups = {g.id: g for g in session.exec(select(SectorGroup))}
        return cls(
            departments={d.code: d.name for d in session.exec(select(Department))},
            regions={r.code: r.name for r in session.exec(select(Region))},
            sectors={
                s.slug: SectorRef(s.slug, s.name, groups[s.group_id].slug, groups[s.group_id].name)
                for s in session.exec(select(Sector))
            },
            naf_labels={n.ape: n.label for n in session.exec(select(NafCode))},
            geography=CoverageGeography.load(session),
        )


def _activity_document(activity: Activity, vocabulary: Vocabulary) -> dict[str, Any]:
    sector = vocabulary.sectors.get(activity.sector_slug)
    return {
        "sector": activity.sector_slug,
        "sector_name": sector.name if sector else None,
        "presta_types": sorted(activity.presta_types),
        "range": RangeKind(activity.range_kind).value,
        "radius_km": activity.radius_km,
        "zones": activity.zones,
        "inferred": activity.inferred,
    }


def _offer_document(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "title": offer.title,
        "sector": offer.sector_slug,
        "presta_type": PrestaType(offer.presta_type).value,
    }


# Bumped whenever the document shape changes: the next start rebuilds the index.
DOCUMENT_VERSION = "3"


def content_hash(document: dict[str, Any]) -> str:
    """What drift checks compare: the document without its own hash."""
    body = {k: v for k, v in document.items() if k != "content_hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def structure_document(
    structure: Structure,
    activities: list[Activity],
    vocabulary: Vocabulary,
    offers: list[Offer] | None = None,
) -> dict[str, Any]:
    """Public fields only: never the contact address nor who edited what."""
    offers = [o for o in offers or [] if o.is_active]
    kind = Kind(structure.kind)
    sector_refs = [
        vocabulary.sectors[a.sector_slug] for a in activities if a.sector_slug in vocabulary.sectors
    ]
    has_point = structure.latitude is not None and structure.longitude is not None
    document: dict[str, Any] = {
        "id": structure.id,
        "kind": kind.value,
        "kind_label": KIND_LABELS[kind],
        "family": structure.family,
        "is_siae": kind in SIAE_KINDS,
        # Contracts it may be reserved for (Code de la commande publique).
        "reservations": sorted(r.value for r in reservations_of(kind)),
        "siret": structure.siret,
        "siren": structure.siren,
        "finess": structure.finess,
        "name": structure.name,
        "brand": structure.brand,
        "naf": structure.naf,
        "naf_label": vocabulary.naf_labels.get(structure.naf or ""),
        "legal_form": structure.legal_form,
        "address": structure.address,
        "postcode": structure.postcode,
        "city": structure.city,
        "commune_code": structure.commune_code,
        "department_code": structure.department_code,
        "department_name": vocabulary.departments.get(structure.department_code or ""),
        "region_code": structure.region_code,
        "region_name": vocabulary.regions.get(structure.region_code or ""),
        # The address point, for display; `_geo` (in coverage) is the commune centre.
        "location": {"lat": structure.latitude, "lng": structure.longitude} if has_point else None,
        "website": structure.website,
        "description": structure.description,
        "sectors": sorted({s.slug for s in sector_refs}),
        "sector_names": sorted({s.name for s in sector_refs}),
        "sector_groups": sorted({s.group_slug for s in sector_refs}),
        "presta_types": sorted({p for a in activities for p in a.presta_types}),
        "activities": [_activity_document(a, vocabulary) for a in activities],
        "has_activities": bool(activities),
        "offers": [_offer_document(o) for o in offers],
        "offer_titles": [o.title for o in offers],
        "offer_descriptions": [o.description for o in offers if o.description],
        "has_offers": bool(offers),
        "is_qpv": structure.is_qpv,
        "is_zrr": structure.is_zrr,
        "networks": structure.networks,
        "labels": structure.labels,
        "headcount_insertion": structure.headcount_insertion,
        "headcount_permanent": structure.headcount_permanent,
        "turnover_eur": structure.turnover_eur,
        "year_founded": structure.year_founded,
        "logo_url": structure.logo_url,
        "client_references": structure.client_references,
        "headcount_band": band(structure.headcount_insertion, HEADCOUNT_BANDS),
        "turnover_band": band(structure.turnover_eur, TURNOVER_BANDS),
        "source": structure.source,
        "updated_at": structure.updated_at.isoformat(),
        **coverage_fields(structure, activities, vocabulary.geography),
    }
    document["content_hash"] = content_hash(document)
    return document


def load_documents(
    session: Session, structure_ids: list[int], vocabulary: Vocabulary
) -> tuple[list[dict[str, Any]], list[int]]:
    """Documents for the active structures among `structure_ids`, and the ids to remove."""
    structures = {
        s.id: s for s in session.exec(select(Structure).where(col(Structure.id).in_(structure_ids)))
    }
    activities = by_structure(session, Activity, structure_ids)
    offers = by_structure(session, Offer, structure_ids)
    documents, removed = [], []
    for sid in structure_ids:
        structure = structures.get(sid)
        if structure is None or not structure.is_active:
            removed.append(sid)
        else:
            documents.append(
                structure_document(
                    structure, activities.get(sid, []), vocabulary, offers.get(sid, [])
                )
            )
    return documents, removed
