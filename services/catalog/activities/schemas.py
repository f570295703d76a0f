"""What a structure sells and where: one sector, its kinds of service, a geographic range."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.catalog.structures.models import RangeKind
from services.common.errors import FieldValueError
from services.domain.kinds import PrestaType
from services.domain.places import PlaceLevel

MAX_RADIUS_KM = 1000


class Zone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: PlaceLevel
    code: str = Field(pattern=r"^(?:[0-9]{2,3}|2[AB]|[0-9]{5}|2[AB][0-9]{3})$")


class GeographicRange(BaseModel):
    """France entière, a radius around the structure, or a list of zones."""

    model_config = ConfigDict(extra="forbid")

    range: RangeKind
    radius_km: Annotated[int, Field(ge=1, le=MAX_RADIUS_KM)] | None = None
    zones: list[Zone] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.range == RangeKind.RADIUS and self.radius_km is None:
            raise FieldValueError("radius_km", "obligatoire pour un rayon d'intervention")
        if self.range != RangeKind.RADIUS and self.radius_km is not None:
            raise FieldValueError("radius_km", "ne vaut que pour range = radius")
        if self.range == RangeKind.ZONES and not self.zones:
            raise FieldValueError("zones", "obligatoire pour range = zones")
        if self.range != RangeKind.ZONES and self.zones:
            raise FieldValueError("zones", "ne vaut que pour range = zones")
        return self


class ActivityCreate(GeographicRange):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sector": "creation-et-entretien-des-espaces-verts",
                    "presta_types": ["PREST"],
                    "range": "zones",
                    "zones": [{"type": "departement", "code": "93"}],
                },
                {
                    "sector": "nettoyage",
                    "presta_types": ["PREST"],
                    "range": "radius",
                    "radius_km": 30,
                },
            ]
        },
    )

    sector: str = Field(min_length=1, max_length=128)
    presta_types: list[PrestaType] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _distinct_presta_types(self) -> Self:
        self.presta_types = list(dict.fromkeys(self.presta_types))
        return self


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sector: str | None = Field(default=None, min_length=1, max_length=128)
    presta_types: list[PrestaType] | None = Field(default=None, min_length=1, max_length=3)
    range: RangeKind | None = None
    radius_km: Annotated[int, Field(ge=1, le=MAX_RADIUS_KM)] | None = None
    zones: list[Zone] | None = Field(default=None, max_length=500)


class ActivityPublic(BaseModel):
    id: int
    sector: str
    presta_types: list[str]
    range: RangeKind
    radius_km: int | None
    zones: list[dict[str, str]]
    inferred: bool
    version: int
