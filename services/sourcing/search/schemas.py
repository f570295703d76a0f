"""The search API's answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Location(BaseModel):
    lat: float
    lng: float


class ActivityHit(BaseModel):
    sector: str
    sector_name: str | None
    presta_types: list[str]
    range: str
    radius_km: int | None
    zones: list[dict[str, Any]]
    inferred: bool = False


class MatchReason(BaseModel):
    """Why a structure is in the results."""

    kind: str = Field(description="activity | located | text")
    detail: str
    activity: int | None = Field(default=None, description="Index de l'activité dans `activities`")
    sector: str | None = None


class StructureHit(BaseModel):
    id: int
    name: str
    brand: str | None
    kind: str
    kind_label: str
    family: str
    reservations: list[str] = []
    siret: str | None
    finess: str | None
    address: str | None
    postcode: str | None
    city: str | None
    commune_code: str | None
    department_code: str | None
    department_name: str | None
    region_code: str | None
    region_name: str | None
    location: Location | None
    naf: str | None
    naf_label: str | None
    website: str | None
    is_qpv: bool = False
    is_zrr: bool = False
    networks: list[str] = []
    labels: list[str] = []
    has_offers: bool = False
    sectors: list[str]
    presta_types: list[str]
    activities: list[ActivityHit]
    distance_km: float | None = Field(
        default=None, description="Distance au lieu cherché (centre de commune à centre de commune)"
    )
    matched: list[MatchReason] = []


class SearchResponse(BaseModel):
    query: str
    total: int = Field(description="Nombre exact de structures correspondant à la recherche")
    page: int
    per_page: int
    total_pages: int
    domain: dict[str, Any] = Field(
        default_factory=dict, description="Secteurs retenus (dont ceux déduits des codes CPV)"
    )
    hits: list[StructureHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Pour chaque filtre, le nombre de structures par valeur dans ce résultat"
    )
    sources: str = Field(
        default=(
            "Données : ASP (SIAE), FINESS/DREES (ESAT), INSEE, La Poste, IGN — Licence Ouverte 2.0"
        )
    )
