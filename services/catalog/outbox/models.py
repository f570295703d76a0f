"""The outbox: one row per structure change, committed with the change itself."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from services.catalog.tables import CatalogTable
from services.common.db import utcnow


class OutboxEvent(CatalogTable, table=True):
    __tablename__ = "outbox_event"

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: the event of a deleted structure must outlive it.
    structure_id: int = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
