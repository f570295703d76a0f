"""The audit trail: who changed what in a structure's listing, when, from what to what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from services.catalog.tables import CatalogTable
from services.common.db import utcnow


class AuditEntry(CatalogTable, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: the trail outlives what it describes.
    structure_id: int = Field(index=True)
    actor: str = Field(max_length=64)  # an account id, or "import:<source>"
    actor_role: str = Field(max_length=32)
    action: str = Field(max_length=64)  # e.g. "structure.update", "offer.delete"
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    # {field: [old, new]}
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, index=True)
