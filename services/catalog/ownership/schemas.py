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

    siret: str | None = Field(
        default=None, pattern=r"^[0-9]{14}$", description="SIRET de la structure"
    )
    structure_id: int | None = Field(
        default=None,
        ge=1,
        description=(
            "La structure : seule pour une structure sans SIRET, ou avec le SIRET quand "
            "plusieurs structures le partagent"
        ),
    )
    message: str | None = Field(default=None, max_length=1000)


class ClaimVerify(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "482913"}]})

    code: str = Field(pattern=r"^[0-9]{6}$")


class ClaimDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Le justificatif ne mentionne pas la structure."}]
        },
    )

    reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Motif, envoyé par e-mail au demandeur ; obligatoire pour un refus",
    )


class ProofPublic(BaseModel):
    media_type: str = Field(
        description="Type lu dans le fichier : application/pdf, image/png, image/jpeg"
    )
    size: int = Field(description="Taille en octets")
    uploaded_at: datetime
    url: str = Field(description="Où le lire (le demandeur et l'équipe seulement)")


class ClaimPublic(BaseModel):
    id: int
    structure_id: int
    structure_name: str | None
    account_id: str
    kind: ClaimKind = Field(
        description=(
            "verification : code envoyé à l'adresse de contact ; staff_review : justificatif "
            "examiné par l'équipe ; join : décidé par un administrateur ; email_domain : accepté "
            "car l'adresse vérifiée est au domaine du site de la structure"
        )
    )
    method: ClaimKind = Field(description="Comment la demande est vérifiée (égal à kind)")
    status: ClaimStatus
    message: str | None
    reason: str | None
    code_sent_to: str | None = Field(
        description="Adresse de contact (masquée) à laquelle le code a été envoyé"
    )
    proof: ProofPublic | None = Field(
        default=None, description="Justificatif déposé (demandes examinées par l'équipe)"
    )
    created_at: datetime
    decided_at: datetime | None


class StaffClaimPublic(ClaimPublic):
    """A claim as the staff review it: with the claimant's address and the structure's site."""

    email: str | None
    structure_siret: str | None
    structure_kind: str | None
    structure_city: str | None
    structure_website: str | None


class StaffClaimPage(BaseModel):
    total: int = Field(description="Demandes en attente en tout")
    items: list[StaffClaimPublic]


class ManagedStructure(BaseModel):
    id: int
    name: str
    brand: str | None
    kind: str
    siret: str | None
    city: str | None
    role: MemberRole
    since: datetime


class MePublic(BaseModel):
    structures: list[ManagedStructure] = Field(description="Les structures que je gère")
    claims: list[ClaimPublic] = Field(description="Mes demandes, les plus récentes d'abord")


class MemberPublic(BaseModel):
    account_id: str
    email: str | None
    role: MemberRole
    created_at: datetime


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole
