"""What the catalog API shows of a structure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.catalog.structures.models import RangeKind, StructureBase


class ActivityPublic(BaseModel):
    id: int
    sector: str
    presta_types: list[str]
    range: RangeKind
    radius_km: int | None
    zones: list[dict[str, Any]]


class StructurePublic(StructureBase):
    id: int
    kind_label: str
    is_active: bool
    source: str
    created_at: datetime
    updated_at: datetime
    activities: list[ActivityPublic]


class StructurePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[StructurePublic]
