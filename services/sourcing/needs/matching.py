"""Matching a need: every structure with an activity fitting its domain, place and presta
types, of an allowed kind; ranked by a score whose parts are all stated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.domain.reservations import kinds_reserved_for
from services.sourcing.needs.models import Need
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.matching import distance_km, explain
from services.sourcing.search.places import (
    Territory,
    commune_place,
    department_place,
    located_codes,
    region_place,
)
from services.sourcing.search.service import SearchRequest, filters_for
from services.sourcing.search.vocabulary import SearchVocabulary

PROFILE_FIELDS = (
    "description",
    "website",
    "headcount_insertion",
    "turnover_eur",
    "logo_url",
    "client_references",
)
WEIGHTS = {"domain": 40.0, "distance": 25.0, "profile": 20.0, "responsiveness": 15.0}
DISTANCE_SCALE_KM = 200.0
PAGE = 1000


@dataclass(frozen=True)
class Candidate:
    structure_id: int
    name: str
    score: float
    reasons: list[dict[str, Any]]


def need_sectors(need: Need, vocabulary: SearchVocabulary) -> frozenset[str]:
    sectors = set(need.sectors)
    for code in need.cpv_codes:
        found = vocabulary.cpv_sectors(code)
        if found:
            sectors |= set(found[1])
    return frozenset(sectors)


def search_request_for(need: Need, vocabulary: SearchVocabulary) -> SearchRequest:
    territory = Territory()
    if need.place_level and need.place_code:
        build = {"commune": commune_place, "departement": department_place, "region": region_place}
        territory.places.append(build[need.place_level](vocabulary, need.place_code))
    kinds = list(need.kinds)
    if need.reservation:
        allowed = [k.value for k in kinds_reserved_for(need.reservation)]
        kinds = [k for k in kinds if k in allowed] if kinds else allowed
    return SearchRequest(
        q="",
        filters={"kind": kinds},
        page=1,
        per_page=PAGE,
        sectors=need_sectors(need, vocabulary),
        presta_types=frozenset(need.presta_types) or None,
        territory=territory,
    )


def score(
    document: dict[str, Any],
    sectors: frozenset[str],
    origin: tuple[float, float] | None,
    located: bool,
    responsiveness: float | None,
) -> tuple[float, dict[str, float]]:
    activities = [a for a in document.get("activities", []) if a["sector"] in sectors]
    # A confirmed activity says more than one inferred from the NAF code.
    fit = max((0.5 if a.get("inferred") else 1.0 for a in activities), default=0.0)
    covered = len({a["sector"] for a in activities}) / len(sectors) if sectors else 1.0
    geo = document.get("_geo")
    if located:
        nearness = 1.0
    elif origin is not None and geo:
        nearness = max(0.0, 1 - distance_km(origin, (geo["lat"], geo["lng"])) / DISTANCE_SCALE_KM)
    else:
        nearness = 0.5
    filled = sum(1 for f in PROFILE_FIELDS if document.get(f)) + (
        1 if document.get("has_offers") else 0
    )
    parts = {
        "domain": WEIGHTS["domain"] * fit * (0.5 + 0.5 * covered),
        "distance": WEIGHTS["distance"] * nearness,
        "profile": WEIGHTS["profile"] * filled / (len(PROFILE_FIELDS) + 1),
        "responsiveness": WEIGHTS["responsiveness"]
        * (0.5 if responsiveness is None else responsiveness),
    }
    return round(sum(parts.values()), 1), {k: round(v, 1) for k, v in parts.items()}


async def find_candidates(
    engine: SearchEngine,
    need: Need,
    vocabulary: SearchVocabulary,
    responsiveness: dict[int, float],
) -> list[Candidate]:
    request = search_request_for(need, vocabulary)
    radii = await engine.radius_values()
    filters: list[str | list[str]] | None = list(filters_for(request, radii)) or None
    place = request.territory.places[0] if request.territory.places else None
    origin = place.centre if place else None
    field = {"commune": "commune_code", "departement": "department_code", "region": "region_code"}
    candidates: list[Candidate] = []
    page = 1
    while True:
        result = await engine.search("", filter=filters, page=page, hits_per_page=PAGE)
        for document in result.hits:
            located = place is not None and document.get(field[place.level]) in located_codes(place)
            total, parts = score(
                document,
                request.sectors or frozenset(),
                origin,
                located,
                responsiveness.get(document["id"]),
            )
            why = explain(
                document, request.sectors, request.presta_types, request.territory, vocabulary
            )
            candidates.append(
                Candidate(
                    structure_id=int(document["id"]),
                    name=str(document["name"]),
                    score=total,
                    reasons=[
                        *(r.model_dump() for r in why),
                        {"kind": "score", "detail": "détail du score", "parts": parts},
                    ],
                )
            )
        if page >= (result.total_pages or 0):
            break
        page += 1
    return sorted(candidates, key=lambda c: (-c.score, c.structure_id))
