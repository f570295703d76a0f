"""Who manages which structure, and the claims that lead there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.catalog.structures.models import structure_reference
from services.catalog.tables import CatalogTable
from services.common.db import text_enum, utcnow


class MemberRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class ClaimKind(StrEnum):
    VERIFICATION = "verification"  # no manager yet: a code goes to the registered contact address
    STAFF_REVIEW = "staff_review"  # no manager and no contact address: staff decide on a proof
    JOIN = "join"  # managers exist: one of its admins decides
    # No manager, and the claimant's verified address is at the structure's website domain.
    EMAIL_DOMAIN = "email_domain"


class ClaimStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class Membership(CatalogTable, table=True):
    __table_args__ = (UniqueConstraint("structure_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = structure_reference()
    account_id: str = Field(max_length=64, index=True)
    email: str | None = Field(default=None, max_length=254)
    role: MemberRole = Field(sa_type=text_enum(MemberRole, 16))
    created_at: datetime = Field(default_factory=utcnow)


class Claim(CatalogTable, table=True):
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = structure_reference()
    account_id: str = Field(max_length=64, index=True)
    email: str | None = Field(default=None, max_length=254)
    kind: ClaimKind = Field(sa_type=text_enum(ClaimKind, 16))
    status: ClaimStatus = Field(sa_type=text_enum(ClaimStatus, 16), index=True)
    message: str | None = Field(default=None, max_length=1000)
    code_hash: str | None = Field(default=None, max_length=64)
    code_expires_at: datetime | None = None
    attempts: int = 0
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    # The proof of a staff-reviewed claim: a file under the proof folder, by a random name.
    proof_file: str | None = Field(default=None, max_length=64)
    proof_media_type: str | None = Field(default=None, max_length=32)
    proof_size: int | None = None
    proof_sha256: str | None = Field(default=None, max_length=64)
    proof_uploaded_at: datetime | None = None
