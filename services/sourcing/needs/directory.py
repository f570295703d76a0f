"""Who manages a structure, and the identities of every active structure (to match buyers'
spend), asked of the catalog with the service's own signed identity."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.common.errors import UpstreamUnavailable
from services.common.identity import Principal, Role, sign_identity

SERVICE_ACCOUNT = "service:sourcing"


class CatalogDirectory:
    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self.client, self.secret = client, secret
        self._identities: tuple[float, list[dict[str, Any]]] | None = None

    async def _get(self, path: str, principal: Principal) -> Any:
        """The catalog's answer, asked with `principal`'s identity; None when it has no such
        resource."""
        identity = sign_identity(principal, self.secret, audience="catalog")
        try:
            response = await self.client.get(path, headers={"x-mi-identity": identity})
            if response.status_code == 404:
                return None
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                "Le catalogue ne répond pas : les gestionnaires des structures sont inconnus "
                "pour l'instant, réessayez dans un moment."
            ) from exc
        return response.json()

    async def _members(self, structure_id: int) -> list[dict[str, Any]]:
        service = Principal(SERVICE_ACCOUNT, Role.STAFF)
        members: list[dict[str, Any]] | None = await self._get(
            f"/v1/structures/{structure_id}/members", service
        )
        return members or []

    async def manager_emails(self, structure_id: int) -> list[str]:
        return [m["email"] for m in await self._members(structure_id) if m.get("email")]

    async def manages(self, structure_id: int, account_id: str) -> bool:
        return any(m["account_id"] == account_id for m in await self._members(structure_id))

    async def managed_structures(self, principal: Principal) -> dict[int, str]:
        """The structures `principal` manages (id → name), as the catalog tells the account."""
        me = await self._get("/v1/me", principal)
        return {int(s["id"]): str(s["name"]) for s in (me or {}).get("structures", [])}

    async def structure(self, structure_id: int) -> dict[str, Any] | None:
        """The catalog's record of an active structure, with its activities; None otherwise."""
        service = Principal(SERVICE_ACCOUNT, Role.STAFF)
        record: dict[str, Any] | None = await self._get(f"/v1/structures/{structure_id}", service)
        return record

    async def identities(self, max_age_s: float = 0.0) -> list[dict[str, Any]]:
        """Every active structure's identity (id, SIRET, SIREN, name, place, kind...); the copy
        fetched less than `max_age_s` ago serves when there is one."""
        now = time.monotonic()
        if self._identities is not None and now - self._identities[0] <= max_age_s:
            return self._identities[1]
        service = Principal(SERVICE_ACCOUNT, Role.STAFF)
        found: list[dict[str, Any]] = await self._get("/v1/structures/identities", service) or []
        self._identities = (now, found)
        return found
