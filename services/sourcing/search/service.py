"""Runs a buyer's search against the index and shapes the answer."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meilisearch_python_sdk.models.search import SearchResults
from meilisearch_python_sdk.types import JsonDict

from services.domain.search import SearchResponse, StructureHit
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.filters import FACET_FIELDS, build_filter, coverage_filter
from services.sourcing.search.matching import distance_km, explain
from services.sourcing.search.places import Territory
from services.sourcing.search.vocabulary import SearchVocabulary

_RETRIEVED = [*StructureHit.model_fields, "_geo"]
# The engine client parametrises its result model on every search; pydantic caches that class
# only while something holds it, so it is held here rather than rebuilt per search.
_RESULT_MODEL = SearchResults[JsonDict]


@dataclass
class SearchRequest:
    q: str
    filters: Mapping[str, Sequence[str]]
    page: int
    per_page: int
    sectors: frozenset[str] | None = None
    presta_types: frozenset[str] | None = None
    territory: Territory = field(default_factory=Territory)
    point: tuple[float, float, int] | None = None
    sort: str = "pertinence"
    domain: dict[str, Any] = field(default_factory=dict)


def filters_for(request: SearchRequest, radius_values: Sequence[int]) -> list[str]:
    clauses = build_filter(request.filters)
    coverage = coverage_filter(
        request.sectors, request.presta_types, request.territory, request.point, radius_values
    )
    if coverage:
        clauses.append(coverage)
    return clauses


def _sort(request: SearchRequest) -> list[str] | None:
    if request.sort == "nom":
        return ["name:asc"]
    origin = request.point[:2] if request.point else request.territory.centre
    if request.sort == "distance" and origin is not None:
        return [f"_geoPoint({origin[0]!r}, {origin[1]!r}):asc"]
    return None


def engine_query(request: SearchRequest, radii: Sequence[int]) -> dict[str, Any]:
    """The search the index runs for a buyer's request, as the engine's own parameters."""
    return {
        "query": request.q,
        "filter": filters_for(request, radii) or None,
        "facets": list(FACET_FIELDS.values()),
        "page": request.page,
        "hits_per_page": request.per_page,
        "attributes_to_retrieve": _RETRIEVED,
        "sort": _sort(request),
        "locales": ["fra"],
    }


async def search_structures(
    engine: SearchEngine, request: SearchRequest, vocabulary: SearchVocabulary
) -> SearchResponse:
    radii = await engine.radius_values()
    results = await engine.search(**engine_query(request, radii))
    distribution = results.facet_distribution or {}
    total = results.total_hits or 0
    origin = request.point[:2] if request.point else request.territory.centre
    hits = []
    for document in results.hits:
        hit = StructureHit.model_validate(document)
        geo = document.get("_geo")
        if "_geoDistance" in document:
            hit.distance_km = round(document["_geoDistance"] / 1000, 1)
        elif origin is not None and geo:
            hit.distance_km = round(distance_km(origin, (geo["lat"], geo["lng"])), 1)
        hit.matched = explain(
            document, request.sectors, request.presta_types, request.territory, vocabulary
        )
        hits.append(hit)
    return SearchResponse(
        query=request.q,
        total=total,
        page=request.page,
        per_page=request.per_page,
        total_pages=math.ceil(total / request.per_page),
        domain=request.domain,
        hits=hits,
        facets={
            name: {str(k): v for k, v in distribution.get(attribute, {}).items()}
            for name, attribute in FACET_FIELDS.items()
        },
    )
