"""The whole result of a saved search, read page by page from the index, up to a cap."""

from __future__ import annotations

from dataclasses import dataclass

from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.service import SearchRequest, filters_for

# The whole current data set (about 5,400 structures) fits well under it.
RESULT_CAP = 10_000
PAGE = 1000
_FIELDS = ["id", "name", "kind_label", "city", "department_code"]


@dataclass(frozen=True)
class Found:
    id: int
    name: str
    kind_label: str
    city: str | None
    department_code: str | None


async def whole_result(
    engine: SearchEngine, request: SearchRequest, cap: int = RESULT_CAP
) -> tuple[list[Found], int]:
    """The first `cap` structures of the result by name, and how many the result holds."""
    filters = filters_for(request, await engine.radius_values()) or None
    found: list[Found] = []
    page, total = 1, 0
    while len(found) < cap:
        result = await engine.search(
            request.q,
            filter=filters,
            page=page,
            hits_per_page=PAGE,
            attributes_to_retrieve=_FIELDS,
            sort=["name:asc"],
        )
        total = result.total_hits or 0
        found.extend(
            Found(
                id=int(hit["id"]),
                name=str(hit.get("name") or ""),
                kind_label=str(hit.get("kind_label") or ""),
                city=hit.get("city"),
                department_code=hit.get("department_code"),
            )
            for hit in result.hits
        )
        if page >= (result.total_pages or 0):
            break
        page += 1
    return found[:cap], total
