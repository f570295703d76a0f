"""Structures (suppliers) and their activities, as stored by the catalog."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, event
from sqlmodel import Field, SQLModel

from services.catalog.tables import CatalogTable
from services.common.db import text_enum, utcnow
from services.common.text import fold
from services.domain.kinds import Family, Kind, PrestaType


def structure_reference() -> Any:
    """The column tying a row to its structure; it goes when the structure goes."""
    return Field(
        sa_column=Column(
            Integer, ForeignKey("structure.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class RangeKind(StrEnum):
    COUNTRY = "country"
    RADIUS = "radius"
    ZONES = "zones"


class StructureBase(SQLModel):
    kind: Kind = Field(sa_type=text_enum(Kind, 8), index=True)
    family: Family = Field(sa_type=text_enum(Family, 16), index=True)
    siret: str | None = Field(default=None, max_length=14, index=True)
    siren: str | None = Field(default=None, max_length=9, index=True)
    finess: str | None = Field(default=None, max_length=9, index=True)
    name: str = Field(max_length=255)
    brand: str | None = Field(default=None, max_length=255)
    naf: str | None = Field(default=None, max_length=5)
    legal_form: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=255)
    postcode: str | None = Field(default=None, max_length=5)
    city: str | None = Field(default=None, max_length=128)
    commune_code: str | None = Field(default=None, max_length=5, index=True)
    department_code: str | None = Field(default=None, max_length=3, index=True)
    region_code: str | None = Field(default=None, max_length=3)
    latitude: float | None = None
    longitude: float | None = None
    coordinates_source: str | None = Field(default=None, max_length=32)
    website: str | None = Field(default=None, max_length=512)
    description: str | None = None
    logo_url: str | None = Field(default=None, max_length=512)
    # Flags of the commune: it is a ZRR, or it contains a QPV (2024 list).
    is_qpv: bool = False
    is_zrr: bool = False
    headcount_insertion: int | None = None
    headcount_permanent: int | None = None
    turnover_eur: int | None = None
    year_founded: int | None = None
    networks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"name": ..., "description": ..., "logo_url": ...}]
    client_references: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Structure(StructureBase, CatalogTable, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Identity in its source: "siae:<siret>:<kind>" or "esat:<finess>"; upserts key on it.
    import_key: str = Field(max_length=64, unique=True)
    source: str = Field(max_length=32)
    source_updated_at: date | None = None
    is_active: bool = Field(default=True, index=True)
    # Where verification codes go; private, never shown nor indexed.
    contact_email: str | None = Field(default=None, max_length=254)
    # {field: {"source": "ASP" | "FINESS" | "manager" | "staff" | ..., "at": iso date-time}}
    field_sources: dict[str, dict[str, str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Name and brand folded (no accent, case nor punctuation): what a lookup by name compares.
    search_name: str | None = Field(default=None, max_length=520)


def searchable_name(name: str, brand: str | None) -> str:
    return fold(f"{name} {brand or ''}")[:520]


@event.listens_for(Structure, "before_insert")
@event.listens_for(Structure, "before_update")
def _fold_name(_mapper: Any, _connection: Any, structure: Structure) -> None:
    structure.search_name = searchable_name(structure.name, structure.brand)


class Activity(CatalogTable, table=True):
    """One sector + its kinds of service + a geographic range; search reads these."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = structure_reference()
    sector_slug: str = Field(max_length=128, index=True)
    presta_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    range_kind: RangeKind = Field(sa_type=text_enum(RangeKind, 16))
    radius_km: int | None = None
    # [{"type": "commune" | "departement" | "region", "code": "93"}]
    zones: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # Inferred from the NAF code at import, until a manager confirms it.
    inferred: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Offer(CatalogTable, table=True):
    """A real catalog entry: what a structure sells, on what terms, where."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = structure_reference()
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    sector_slug: str = Field(max_length=128, index=True)
    presta_type: PrestaType = Field(sa_type=text_enum(PrestaType, 8))
    unit: str | None = Field(default=None, max_length=50)
    price_indication: str | None = Field(default=None, max_length=200)
    minimum_order: str | None = Field(default=None, max_length=200)
    capacity: str | None = Field(default=None, max_length=200)
    lead_time_days: int | None = None
    # {"range": ..., "radius_km": ..., "zones": [...]}; None: the range of the activity
    # of the structure in the same sector.
    delivery_zone: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_active: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
