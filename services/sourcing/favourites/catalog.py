"""What the catalog says of a structure a buyer adds to a list: that it exists, and who it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.common.errors import UpstreamUnavailable


@dataclass(frozen=True)
class StructureSnapshot:
    structure_id: int
    name: str
    kind: str
    kind_label: str
    siret: str | None
    postcode: str | None
    city: str | None
    department_code: str | None

    @classmethod
    def of(cls, structure: dict[str, Any]) -> StructureSnapshot:
        return cls(
            structure_id=int(structure["id"]),
            name=str(structure["name"])[:255],
            kind=str(structure["kind"])[:8],
            kind_label=str(structure.get("kind_label") or structure["kind"])[:128],
            siret=structure.get("siret"),
            postcode=structure.get("postcode"),
            city=structure.get("city"),
            department_code=structure.get("department_code"),
        )


async def active_structure(
    client: httpx.AsyncClient, structure_id: int
) -> StructureSnapshot | None:
    """The structure's public listing in the catalog; None when it has no active one."""
    try:
        response = await client.get(f"/v1/structures/{structure_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return StructureSnapshot.of(response.json())
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise UpstreamUnavailable(
            "Le catalogue ne répond pas : impossible de vérifier la structure pour l'instant, "
            "réessayez dans un moment."
        ) from exc
