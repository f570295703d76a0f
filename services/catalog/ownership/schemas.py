"""Claims of a structure and its managers, as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.catalog.ownership.models import ClaimKind, ClaimStatus, MemberRole


class ClaimCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"siret": "80746931700018", "message": "Je dirige la structure."}]
        },
    )

    siret: str = Field(pattern=r"^[0-9]{14}$", description="SIRET de la structure")
    structure_id: int | None = Field(
        default=None, ge=1, description="À préciser quand plusieurs structures partagent ce SIRET"
    )
    message: str | None = Field(default=None, max_length=1000)


class ClaimVerify(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "482913"}]})

    code: str = Field(pattern=r"^[0-9]{6}$")


class ClaimDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class ClaimPublic(BaseModel):
    id: int
    structure_id: int
    account_id: str
    kind: ClaimKind
    status: ClaimStatus
    message: str | None
    reason: str | None
    code_sent_to: str | None = Field(
        description="Adresse de contact (masquée) à laquelle le code a été envoyé"
    )
    created_at: datetime
    decided_at: datetime | None


class MemberPublic(BaseModel):
    account_id: str
    email: str | None
    role: MemberRole
    created_at: datetime


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole
