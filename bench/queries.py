"""The buyers' queries the benchmark sends, and the same queries as Meilisearch receives them
from sourcing (built by sourcing's own code, so that the floor answers the same question)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.loadgen import Target
from bench.system import INDEX, System
from services.common.settings import PROJECT_ROOT
from services.sourcing.search.request import SearchParameters
from services.sourcing.search.service import engine_query
from services.sourcing.search.vocabulary import SearchVocabulary

QUERIES: dict[str, dict[str, Any]] = {
    # Free text, facets over every filter.
    "texte": {"q": "nettoyage"},
    # A territory and a purchasing domain: the coverage filter, facets.
    "territoire_domaine": {"department": ["93"], "sector": ["nettoyage-de-locaux-16"]},
    # Around Lyon, nearest first.
    "rayon_distance": {"lat": 45.764, "lng": 4.8357, "radius_km": 30, "sort": "distance"},
}
# The engine's parameter names, as its HTTP API spells them.
_ENGINE_NAMES = {
    "query": "q",
    "hits_per_page": "hitsPerPage",
    "attributes_to_retrieve": "attributesToRetrieve",
}


@dataclass
class _QueryParams:
    query_params: dict[str, Any]


@cache
def _vocabulary() -> SearchVocabulary:
    return SearchVocabulary.load(PROJECT_ROOT / "data")


def engine_body(params: dict[str, Any], radii: list[int]) -> dict[str, Any]:
    vocabulary = _vocabulary()
    request = SearchParameters(**params).to_request(
        _QueryParams(params),  # type: ignore[arg-type]
        vocabulary,
    )
    return {
        _ENGINE_NAMES.get(name, name): value
        for name, value in engine_query(request, radii).items()
        if value is not None
    }


def radius_values(system: System) -> list[int]:
    response = httpx.post(
        f"{system.meili.url}/indexes/{INDEX}/search",
        json={"q": "", "limit": 0, "facets": ["radius_values"]},
        headers={"Authorization": f"Bearer {system.meili.key}"},
    ).json()
    return sorted(int(v) for v in response["facetDistribution"].get("radius_values", {}))


def targets(system: System, params: dict[str, Any]) -> dict[str, Target]:
    body = engine_body(params, radius_values(system))
    query = urlencode(params, doseq=True)
    return {
        "meilisearch": Target(
            url=f"{system.meili.url}/indexes/{INDEX}/search",
            method="POST",
            body=json.dumps(body),
            bearer=system.meili.key,
        ),
        "sourcing": Target(url=f"{system.sourcing.url}/v1/search?{query}"),
        "gateway": Target(url=f"{system.gateway.url}/api/v1/search?{query}"),
    }


def same_answers(system: System, params: dict[str, Any]) -> dict[str, int]:
    """Totals each path gives for the query: they must agree, or the comparison is void."""
    found = {}
    for name, target in targets(system, params).items():
        if target.method == "POST":
            answer = httpx.post(
                target.url,
                content=target.body,
                headers={
                    "Authorization": f"Bearer {target.bearer}",
                    "Content-Type": "application/json",
                },
            ).json()
            found[name] = int(answer["totalHits"])
        else:
            found[name] = int(httpx.get(target.url, timeout=30).json()["total"])
    return found
