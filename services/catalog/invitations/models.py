"""Invitations to manage a structure: sent by its admins to an address, used once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from services.catalog.ownership.models import MemberRole
from services.catalog.structures.models import structure_reference
from services.catalog.tables import CatalogTable
from services.common.db import text_enum, utcnow


class Invitation(CatalogTable, table=True):
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = structure_reference()
    email: str = Field(max_length=254, index=True)
    role: MemberRole = Field(sa_type=text_enum(MemberRole, 16))
    # The SHA-256 of the link's token: a copy of the table opens no invitation.
    token_hash: str = Field(max_length=64, unique=True)
    invited_by: str = Field(max_length=64)
    invited_by_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
