"""The OETH API's shapes: the declaration a buyer sends, the deduction it reads, the TIH marks,
and the attestations a supplier issues (euros in JSON, cents in the database)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_EUR = Decimal("1000000000")


def _places(value: Decimal | None, places: int) -> Decimal | None:
    if value is not None and value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValueError(f"au plus {places} décimales")
    return value


class DeclarationInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "headcount": 320,
                    "beneficiaries": 8.5,
                    "rate": 2.66,
                    "gross_contribution_eur": None,
                    "labour_share": 0.6,
                }
            ]
        },
    )

    headcount: Decimal = Field(
        gt=0, le=10_000_000, description="Effectif d'assujettissement (moyenne annuelle)"
    )
    beneficiaries: Decimal | None = Field(
        default=None, ge=0, le=10_000_000, description="Bénéficiaires de l'obligation d'emploi"
    )
    rate: Decimal | None = Field(
        default=None, ge=0, le=100, description="Taux d'emploi direct en % (2.5 = 2,5 %)"
    )
    gross_contribution_eur: Decimal | None = Field(
        default=None,
        ge=0,
        le=MAX_EUR,
        description="Contribution brute déclarée ; absente, l'outil l'estime",
    )
    labour_share: Decimal = Field(
        ge=0, le=1, description="Part de main-d'œuvre estimée des achats non attestés (0 à 1)"
    )

    @field_validator("headcount", "beneficiaries", "rate", "gross_contribution_eur")
    @classmethod
    def _two_places(cls, value: Decimal | None) -> Decimal | None:
        return _places(value, 2)

    @field_validator("labour_share")
    @classmethod
    def _four_places(cls, value: Decimal | None) -> Decimal | None:
        return _places(value, 4)


class DeclarationView(BaseModel):
    headcount: float
    beneficiaries: float | None
    rate: float | None
    gross_contribution_eur: float | None
    labour_share: float
    version: int
    updated_at: datetime


class ContributionView(BaseModel):
    gross_eur: float | None
    source: Literal["declared", "estimated", "missing"]
    estimate: dict[str, Any] | None


class ContractLine(BaseModel):
    supplier_key: str
    structure_id: int | None
    name: str
    kind: str | None
    siret: str | None
    amount_eur: float
    labour_cost_eur: float
    source: Literal["attestation", "estimate"]
    attestation_id: int | None
    deductible_eur: float
    tih: bool = False


class OethView(BaseModel):
    year: int
    declaration: DeclarationView | None
    contribution: ContributionView
    rate: float | None
    cap_share: float | None
    cap_eur: float | None
    contracts: list[ContractLine]
    labour_cost_eur: float
    deductible_before_cap_eur: float
    deduction_eur: float | None
    capped: bool
    contribution_after_eur: float | None
    estimated: bool
    method: list[str]


class TihInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_key: str = Field(min_length=1, max_length=80)
    tih: bool


class TihView(BaseModel):
    supplier_key: str
    tih: bool


class ContractInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(default="", max_length=100, description="N° de contrat ou de facture")
    description: str = Field(min_length=1, max_length=300, description="Objet de la prestation")
    invoiced_on: date | None = Field(default=None, description="Date de facturation")
    amount_excl_vat_eur: Decimal = Field(ge=0, le=MAX_EUR, description="Montant HT facturé")
    labour_cost_eur: Decimal = Field(
        ge=0, le=MAX_EUR, description="Coût de la main-d'œuvre incluse dans le montant"
    )

    @field_validator("amount_excl_vat_eur", "labour_cost_eur")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal | None:
        return _places(value, 2)


class AttestationInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2025,
                    "client": {
                        "siren": "552100554",
                        "name": "Société cliente",
                        "address": "1 rue de la Paix, 75002 Paris",
                    },
                    "contracts": [
                        {
                            "reference": "F-2025-014",
                            "description": "Entretien des espaces verts du site de Lyon",
                            "invoiced_on": "2025-06-30",
                            "amount_excl_vat_eur": 24000,
                            "labour_cost_eur": 15600,
                        }
                    ],
                }
            ]
        },
    )

    year: int = Field(ge=2020, le=2100)
    client: ClientInput
    contracts: list[ContractInput] = Field(min_length=1, max_length=200)


class ClientInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    siren: str = Field(pattern=r"^\d{9}$", description="SIREN du client (9 chiffres)")
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)


class AttestationUpdate(BaseModel):
    """A reissue: the new client details and contracts; the year stays."""

    model_config = ConfigDict(extra="forbid")

    client: ClientInput
    contracts: list[ContractInput] = Field(min_length=1, max_length=200)


class StructureSnapshot(BaseModel):
    id: int
    name: str
    siret: str | None
    kind: str
    address: str


class ClientView(BaseModel):
    siren: str
    name: str
    address: str


class ContractView(BaseModel):
    reference: str
    description: str
    invoiced_on: date | None
    amount_excl_vat_eur: float
    labour_cost_eur: float


class AttestationView(BaseModel):
    id: int
    number: str
    version: int
    status: Literal["issued", "replaced"]
    structure: StructureSnapshot
    year: int
    client: ClientView
    contracts: list[ContractView]
    amount_excl_vat_eur: float
    labour_cost_eur: float
    deductible_eur: float
    issued_at: datetime
    issued_by: str
    replaces: int | None


class ClientOfStructure(BaseModel):
    organisation_id: int
    siren: str
    name: str
    lines: int
    amount_eur: float
    attestation_id: int | None


AttestationInput.model_rebuild()
