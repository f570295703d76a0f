"""Reference data the catalog reads: geography and purchasing-domain taxonomies."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field

from services.catalog.tables import CatalogTable


class Region(CatalogTable, table=True):
    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=128)
    zone: str = Field(max_length=8)


class Department(CatalogTable, table=True):
    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=128)
    region_code: str = Field(max_length=3, index=True)
    zone: str = Field(max_length=8)


class Commune(CatalogTable, table=True):
    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=128)
    type: str = Field(max_length=4)
    department_code: str = Field(max_length=3, index=True)
    region_code: str = Field(max_length=3, index=True)
    parent_code: str | None = Field(default=None, max_length=5)
    postcodes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    # ZRR 2022 classification: C (classée), PC (partiellement), NC; None where unknown.
    zrr_status: str | None = Field(default=None, max_length=2)
    # QPV 2024 in the commune (the shipped list is partial).
    qpv_count: int = 0


class SectorGroup(CatalogTable, table=True):
    __tablename__ = "sector_group"

    id: int = Field(primary_key=True)
    slug: str = Field(max_length=128, unique=True)
    name: str = Field(max_length=255)


class Sector(CatalogTable, table=True):
    id: int = Field(primary_key=True)
    slug: str = Field(max_length=128, unique=True)
    name: str = Field(max_length=255)
    group_id: int = Field(foreign_key="sector_group.id", index=True)


class CpvCode(CatalogTable, table=True):
    __tablename__ = "cpv_code"

    code: str = Field(primary_key=True, max_length=8)
    level: int
    parent_code: str | None = Field(default=None, max_length=8)
    label_fr: str
    label_en: str | None = None


class NafCode(CatalogTable, table=True):
    __tablename__ = "naf_code"

    code: str = Field(primary_key=True, max_length=6)
    ape: str = Field(max_length=5, unique=True)
    label: str
    division: str = Field(max_length=2)
    section: str = Field(max_length=1)
