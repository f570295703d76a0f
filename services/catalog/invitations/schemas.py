"""Invitations, as the API reads and shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.catalog.ownership.models import MemberRole

Email = Annotated[
    str,
    Field(
        pattern=(
            r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
        ),
        max_length=254,
        description="Adresse e-mail de la personne invitée",
    ),
]


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class InvitationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "collegue@structure.fr", "role": "editor"}]},
    )

    email: Email
    role: MemberRole = Field(description="admin : administrateur ; editor : éditeur")


class InvitationPublic(BaseModel):
    id: int
    email: str
    role: MemberRole
    invited_by: str = Field(description="Qui a invité (son adresse, à défaut son compte)")
    created_at: datetime
    expires_at: datetime


class InvitationView(BaseModel):
    """What the invited person reads before accepting."""

    structure_id: int
    structure_name: str
    role: MemberRole
    email: str = Field(description="L'adresse invitée, masquée")
    expires_at: datetime
    status: InvitationStatus
