"""Open needs a structure missed: published needs in its sectors or on its territory that did not
match it, with the matching's own criteria saying which failed — what its managers should declare."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.sourcing.needs.matching import search_request_for
from services.sourcing.needs.models import Need
from services.sourcing.needs.repository import NeedRepository
from services.sourcing.needs.schemas import MissedNeed, buyers_today
from services.sourcing.search.matching import explain
from services.sourcing.search.places import Territory
from services.sourcing.search.vocabulary import SearchVocabulary

MISSED_LIMIT = 50
PRESTA_LABELS = {
    "DISP": "mise à disposition",
    "PREST": "prestation de service",
    "BUILD": "fabrication et commercialisation de biens",
}


def as_document(record: dict[str, Any]) -> dict[str, Any]:
    """The catalog's record in the shape matching reads from the index (activities, location)."""
    document = {
        "id": record["id"],
        "kind": record.get("kind"),
        "commune_code": record.get("commune_code"),
        "department_code": record.get("department_code"),
        "region_code": record.get("region_code"),
        "activities": [
            {
                "sector": a["sector"],
                "presta_types": a.get("presta_types") or [],
                "range": a["range"],
                "radius_km": a.get("radius_km"),
                "zones": a.get("zones") or [],
                "inferred": a.get("inferred", False),
            }
            for a in record.get("activities", [])
        ],
    }
    if record.get("latitude") is not None and record.get("longitude") is not None:
        document["_geo"] = {"lat": record["latitude"], "lng": record["longitude"]}
    return document


def sector_names(vocabulary: SearchVocabulary) -> dict[str, str]:
    return {r["secteur_slug"]: r["secteur"] for r in vocabulary.sector_rows}


def place_label(need: Need, vocabulary: SearchVocabulary) -> str:
    level, code = need.place_level, need.place_code
    if not level or not code:
        return "France entière"
    if level == "commune" and code in vocabulary.communes:
        return f"{vocabulary.communes[code].name} ({code})"
    names = (
        vocabulary.department_names if level == "departement" else vocabulary.region_names
    ) or {}
    return f"{names.get(code, code)} ({code})"


def amount_band(need: Need) -> str | None:
    def euros(value: int) -> str:
        return f"{value:,} €".replace(",", "\u202f")

    low, high = need.amount_min_eur, need.amount_max_eur
    if low is not None and high is not None:
        return f"de {euros(low)} à {euros(high)} HT"
    if high is not None:
        return f"jusqu'à {euros(high)} HT"
    if low is not None:
        return f"à partir de {euros(low)} HT"
    return None


def diagnose(
    need: Need, document: dict[str, Any], vocabulary: SearchVocabulary
) -> tuple[bool, list[str], list[str]] | None:
    """Whether the need concerns the structure (one of its sectors, or its territory), what it
    lacks among the criteria matching applies (sector, zone, presta type and range on one
    activity; kind), and why in French. None when the need concerns it not at all."""
    request = search_request_for(need, vocabulary)
    sectors = request.sectors or frozenset()
    territory = request.territory
    names = sector_names(vocabulary)
    in_sector = bool(explain(document, sectors, None, Territory(), vocabulary))
    on_territory = territory.empty or bool(explain(document, None, None, territory, vocabulary))
    if not in_sector and (territory.empty or not on_territory):
        return None
    missing: list[str] = []
    why: list[str] = []
    declared = sorted({a["sector"] for a in document["activities"] if a["sector"] in sectors})
    if in_sector:
        why.append("Secteur déclaré : " + ", ".join(names.get(s, s) for s in declared))
    else:
        missing.append("sector")
        wanted = sorted(sectors)
        why.append(
            "Secteur non déclaré : " + ", ".join(names.get(s, s) for s in wanted[:5])
            if wanted
            else "Aucun secteur ne correspond aux codes CPV du besoin"
        )
    in_zone = in_sector and bool(explain(document, sectors, None, territory, vocabulary))
    if in_sector and not in_zone:
        missing.append("zone")
        why.append(f"Hors de vos zones d'intervention ({place_label(need, vocabulary)})")
    presta = request.presta_types
    if in_zone and presta and not explain(document, sectors, presta, territory, vocabulary):
        missing.append("presta_type")
        why.append(
            "Type de prestation non déclaré pour ce secteur : "
            + ", ".join(PRESTA_LABELS.get(p, p) for p in sorted(presta))
        )
    allowed = request.filters.get("kind") or []
    if allowed and document.get("kind") not in allowed:
        missing.append("kind")
        why.append("Réservé aux structures de type : " + ", ".join(allowed))
    return bool(missing), missing, why


def missed_needs(
    session: Session, structure_id: int, record: dict[str, Any], vocabulary: SearchVocabulary
) -> list[MissedNeed]:
    """Newest first, at most MISSED_LIMIT; nothing of the buyer."""
    document = as_document(record)
    found: list[MissedNeed] = []
    for need in NeedRepository(session).open_not_matching(structure_id, buyers_today()):
        verdict = diagnose(need, document, vocabulary)
        if verdict is None or not verdict[0]:
            continue
        _, missing, why = verdict
        found.append(
            MissedNeed(
                id=need.id or 0,
                title=need.title,
                kind=str(need.kind),
                sectors=sorted(need_sectors_of(need, vocabulary)),
                place=place_label(need, vocabulary),
                deadline=need.deadline,
                published_at=need.published_at,
                amount_band=amount_band(need),
                why=why,
                missing=missing,
            )
        )
        if len(found) >= MISSED_LIMIT:
            break
    return found


def need_sectors_of(need: Need, vocabulary: SearchVocabulary) -> frozenset[str]:
    return search_request_for(need, vocabulary).sectors or frozenset()
