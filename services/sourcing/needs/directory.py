"""Who manages a structure, asked of the catalog with the service's own signed identity."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.errors import UpstreamUnavailable
from services.common.identity import Principal, Role, sign_identity

SERVICE_ACCOUNT = "service:sourcing"


class CatalogDirectory:
    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self.client, self.secret = client, secret

    async def _members(self, structure_id: int) -> list[dict[str, Any]]:
        identity = sign_identity(
            Principal(SERVICE_ACCOUNT, Role.STAFF), self.secret, audience="catalog"
        )
        try:
            response = await self.client.get(
                f"/v1/structures/{structure_id}/members", headers={"x-mi-identity": identity}
            )
            if response.status_code == 404:
                return []
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                "Le catalogue ne répond pas : les gestionnaires de la structure sont inconnus "
                "pour l'instant, réessayez dans un moment."
            ) from exc
        members: list[dict[str, Any]] = response.json()
        return members

    async def manager_emails(self, structure_id: int) -> list[str]:
        return [m["email"] for m in await self._members(structure_id) if m.get("email")]

    async def manages(self, structure_id: int, account_id: str) -> bool:
        return any(m["account_id"] == account_id for m in await self._members(structure_id))
