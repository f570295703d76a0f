"""Market depth and the insertion-hours calculator as the API answers them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Option(BaseModel):
    article: str
    label: str
    possible: bool
    eligible_suppliers: int | None = None
    why: str


class MarketDepth(BaseModel):
    domain: dict[str, Any]
    territory: list[str]
    eligible_suppliers: int = Field(
        description="Structures dont une activité sert ce domaine sur ce territoire"
    )
    local_suppliers: int = Field(description="Dont implantées sur le territoire")
    by_family: dict[str, int]
    by_kind: dict[str, int]
    undeclared_suppliers: int = Field(
        description=(
            "Structures des types retenus implantées sur le territoire qui n'ont encore déclaré "
            "aucune activité : elles peuvent servir ce besoin sans que la plateforme le sache"
        )
    )
    undeclared_by_kind: dict[str, int]
    summary: str = Field(description="Ce que ces chiffres veulent dire pour l'acheteur")
    options: list[Option]
    law: dict[str, Any]


class InsertionHours(BaseModel):
    amount_eur: float
    labour_share_percent: float
    insertion_rate_percent: float
    hourly_cost_eur: float
    hours: float = Field(
        description="montant × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé"
    )
    formula: str
