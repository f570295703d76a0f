"""Runs a buyer's search against the index and shapes the answer."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchCommunicationError, MeilisearchTimeoutError

from services.common.errors import UpstreamTimeout, UpstreamUnavailable
from services.sourcing.search.filters import FILTER_FIELDS, build_filter
from services.sourcing.search.schemas import SearchResponse, StructureHit

FACETS = ("kind", "family", "department", "region", "sector", "presta_type")
_RETRIEVED = [
    *(name for name in StructureHit.model_fields if name != "location"),
    "_geo",
]


@dataclass(frozen=True)
class SearchRequest:
    q: str
    filters: Mapping[str, Sequence[str]]
    page: int
    per_page: int


def _hit(document: dict[str, Any]) -> StructureHit:
    return StructureHit.model_validate({**document, "location": document.get("_geo")})


async def search_structures(
    client: AsyncClient, index_uid: str, request: SearchRequest
) -> SearchResponse:
    try:
        results = await client.index(index_uid).search(
            request.q,
            filter=build_filter(request.filters) or None,  # type: ignore[arg-type]
            facets=[FILTER_FIELDS[name] for name in FACETS],
            page=request.page,
            hits_per_page=request.per_page,
            attributes_to_retrieve=_RETRIEVED,
            locales=["fra"],
        )
    except MeilisearchTimeoutError as exc:
        raise UpstreamTimeout("Le moteur de recherche n'a pas répondu à temps.") from exc
    except MeilisearchCommunicationError as exc:
        raise UpstreamUnavailable("Le moteur de recherche est momentanément indisponible.") from exc
    distribution = results.facet_distribution or {}
    total = results.total_hits or 0
    return SearchResponse(
        query=request.q,
        total=total,
        page=request.page,
        per_page=request.per_page,
        total_pages=math.ceil(total / request.per_page),
        hits=[_hit(h) for h in results.hits],
        facets={name: distribution.get(FILTER_FIELDS[name], {}) for name in FACETS},
    )
