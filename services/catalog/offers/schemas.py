"""An offer: a real catalog entry, with its terms and where it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from services.catalog.activities.schemas import GeographicRange
from services.catalog.media.schemas import MediaPublic
from services.domain.kinds import PrestaType

_EXAMPLE: dict[str, Any] = {
    "title": "Entretien d'espaces verts pour collectivités",
    "description": "Tonte, taille, désherbage sans produits phytosanitaires.",
    "sector": "creation-et-entretien-des-espaces-verts",
    "presta_type": "PREST",
    "unit": "heure",
    "price_indication": "à partir de 35 € HT / heure",
    "minimum_order": "1 demi-journée",
    "lead_time_days": 10,
    "photos": ["https://www.exemple.fr/photos/espaces-verts.jpg"],
}


class OfferFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=5000)
    unit: str | None = Field(default=None, max_length=50)
    price_indication: str | None = Field(default=None, max_length=200)
    minimum_order: str | None = Field(default=None, max_length=200)
    capacity: str | None = Field(default=None, max_length=200)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    delivery_zone: GeographicRange | None = None
    photos: list[HttpUrl] = Field(default_factory=list, max_length=10)
    is_active: bool = True


class OfferCreate(OfferFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    title: str = Field(min_length=1, max_length=200)
    sector: str = Field(min_length=1, max_length=128)
    presta_type: PrestaType


class OfferUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"price_indication": "sur devis"}]}
    )

    title: str | None = Field(default=None, min_length=1, max_length=200)
    sector: str | None = Field(default=None, min_length=1, max_length=128)
    presta_type: PrestaType | None = None
    description: str | None = Field(default=None, max_length=5000)
    unit: str | None = Field(default=None, max_length=50)
    price_indication: str | None = Field(default=None, max_length=200)
    minimum_order: str | None = Field(default=None, max_length=200)
    capacity: str | None = Field(default=None, max_length=200)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    delivery_zone: GeographicRange | None = None
    photos: list[HttpUrl] | None = Field(default=None, max_length=10)
    is_active: bool | None = None


class OfferPublic(BaseModel):
    id: int
    structure_id: int
    title: str
    description: str | None
    sector: str
    presta_type: PrestaType
    unit: str | None
    price_indication: str | None
    minimum_order: str | None
    capacity: str | None
    lead_time_days: int | None
    delivery_zone: dict[str, Any] | None = Field(
        description="La zone de livraison ; à défaut, celle de l'activité du même secteur"
    )
    delivery_zone_inherited: bool
    photos: list[MediaPublic] = Field(
        default_factory=list, description="Photos déposées (POST …/offers/{id}/photos)"
    )
    photo_urls: list[str] = Field(
        default_factory=list, description="Adresses de photos hébergées ailleurs (champ photos)"
    )
    is_active: bool
    version: int
    updated_at: datetime
