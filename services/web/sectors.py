"""The purchasing sectors of the reference API, read once an hour and shared by every page
(reference data changes with releases)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.web.api import Api

SECTOR_CACHE_S = 3600.0


@dataclass
class SectorCatalogue:
    """The reference taxonomy: the API's rows (groups with their sectors), and each sector's
    name and group."""

    rows: list[dict[str, Any]]
    groups: list[tuple[str, list[tuple[str, str]]]]
    names: dict[str, str]
    group_of: dict[str, str]


_catalogue: tuple[float, SectorCatalogue] | None = None
_catalogue_lock = asyncio.Lock()


async def sector_catalogue(api: Api, client_ip: str | None = None) -> SectorCatalogue:
    """The sectors, read from the API at most once an hour."""
    global _catalogue
    loop = asyncio.get_running_loop()
    async with _catalogue_lock:
        if _catalogue is None or loop.time() - _catalogue[0] > SECTOR_CACHE_S:
            rows: list[dict[str, Any]] = await api.get("/reference/sectors", client_ip=client_ip)
            groups = [
                (str(g["name"]), [(str(s["slug"]), str(s["name"])) for s in g["sectors"]])
                for g in rows
            ]
            _catalogue = (
                loop.time(),
                SectorCatalogue(
                    rows=rows,
                    groups=groups,
                    names={slug: name for _, sectors in groups for slug, name in sectors},
                    group_of={slug: group for group, sectors in groups for slug, _ in sectors},
                ),
            )
        return _catalogue[1]
