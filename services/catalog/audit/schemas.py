"""The audit trail, as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    id: int
    actor: str
    actor_role: str
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, Any]
    at: datetime


class AuditPage(BaseModel):
    total: int
    items: list[AuditEntryPublic]
