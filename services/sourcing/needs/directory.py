"""Who manages a structure, asked of the catalog with the service's own signed identity."""

from __future__ import annotations

import httpx

from services.common.identity import Principal, Role, sign_identity

SERVICE_ACCOUNT = "service:sourcing"


class CatalogDirectory:
    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self.client, self.secret = client, secret

    async def manager_emails(self, structure_id: int) -> list[str]:
        identity = sign_identity(
            Principal(SERVICE_ACCOUNT, Role.STAFF), self.secret, audience="catalog"
        )
        response = await self.client.get(
            f"/v1/structures/{structure_id}/members", headers={"x-mi-identity": identity}
        )
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [m["email"] for m in response.json() if m.get("email")]
