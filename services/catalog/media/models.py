"""A structure's images as stored: its logo, its photos, its offers' photos."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field

from services.catalog.structures.models import structure_reference
from services.catalog.tables import CatalogTable
from services.common.db import text_enum, utcnow


class MediaRole(StrEnum):
    LOGO = "logo"
    PHOTO = "photo"


class Media(CatalogTable, table=True):
    """One image, re-encoded; its file lies in the media folder under `file_name`."""

    # Random, public (it is in the image's address), and never the file's name.
    id: str = Field(primary_key=True, max_length=32)
    structure_id: int = structure_reference()
    # Set for an offer's photos; a structure's own logo and photos have none.
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("offer.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    role: MediaRole = Field(sa_type=text_enum(MediaRole, 8))
    file_name: str = Field(max_length=64)
    media_type: str = Field(max_length=32)
    width: int
    height: int
    size: int
    sha256: str = Field(max_length=64)
    alt: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
