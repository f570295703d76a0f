"""A record of each import run: what file, what came of each row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from services.catalog.tables import CatalogTable
from services.common.db import utcnow


class ImportRun(CatalogTable, table=True):
    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32, index=True)
    file_sha256: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    delisted: int = 0
    rejected: int = 0
    # [{"line": 12, "key": "...", "reason": "..."}]
    rejections: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
