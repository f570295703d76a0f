"""What the gateway's own aggregated pages answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.gateway.accounts.schemas import AccountPublic


class StructurePage(BaseModel):
    structure: dict[str, Any]
    offers: list[dict[str, Any]] | None
    nearby: list[dict[str, Any]] | None = Field(description="Structures proches du même domaine")
    open_needs: list[dict[str, Any]] | None = Field(
        default=None,
        description="Besoins publiés qui lui correspondent (ses gestionnaires seulement)",
    )
    missing: list[str] = Field(description="Parties indisponibles pour l'instant")


class MePage(BaseModel):
    account: AccountPublic
    structures: list[dict[str, Any]] | None = Field(
        description="Structures gérées : id, name, role (admin ou éditeur)…"
    )
    claims: list[dict[str, Any]] | None = Field(
        description="Demandes de gestion en cours : id, structure_id, structure_name, status, "
        "method, created_at…"
    )
    missing: list[str] = Field(description="Parties indisponibles pour l'instant")
