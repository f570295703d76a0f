"""The structures index as sourcing reads it: every search engine call, its failures mapped to
what the buyer should read (never a 500)."""

from __future__ import annotations

import time
from typing import Any

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.models.search import SearchResults

from services.common.search_engine import engine_errors

RADIUS_VALUES_TTL_S = 30.0


class SearchEngine:
    """One per process, made in the lifespan: the client, the index it searches and the
    distinct radii activities use, read from the index and kept briefly."""

    def __init__(self, client: AsyncClient, index_uid: str) -> None:
        self.client, self.index_uid = client, index_uid
        self._index = client.index(index_uid)
        self._radii: list[int] = []
        self._radii_read_at = 0.0

    async def search(self, query: str = "", **parameters: Any) -> SearchResults[Any]:
        with engine_errors():
            return await self._index.search(query, **parameters)

    async def radius_values(self) -> list[int]:
        if time.monotonic() - self._radii_read_at > RADIUS_VALUES_TTL_S:
            result = await self.search("", limit=0, facets=["radius_values"])
            distribution = (result.facet_distribution or {}).get("radius_values", {})
            self._radii = sorted(int(v) for v in distribution)
            self._radii_read_at = time.monotonic()
        return self._radii

    async def check(self) -> None:
        """Readiness: the engine answers and the key may search the index (a search-only key
        may not read the index's metadata)."""
        with engine_errors():
            await self.client.health()
        await self.search("", limit=0)

    async def aclose(self) -> None:
        await self.client.aclose()
