"""Organisations and purchase projects as the API reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.common.errors import FieldValueError
from services.domain.identifiers import siren_problem, siret_problem
from services.sourcing.needs.schemas import buyers_today
from services.sourcing.projects.models import MemberRole, ProjectStatus
from services.sourcing.projects.vocabulary import (
    BuyerKind,
    ContractKind,
    JustificationReason,
    OptionCode,
    Procedure,
)

MAX_LOTS = 50
# Control characters are refused: a database may not store some (NUL), and no text needs one;
# long texts keep their line breaks and tabs.
LINE = r"^[^\x00-\x1f\x7f]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A marché awarded before this date is outside the years the reports and the public record cover.
FIRST_AWARD = date(2000, 1, 1)
EMAIL = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]{2,}$"


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Ville de Saint-Denis",
                    "siret": "21930066300014",
                    "buyer_kind": "collectivite",
                    "hours_threshold": 500,
                }
            ]
        },
    )

    name: str = Field(min_length=2, max_length=200, pattern=LINE)
    siret: str | None = Field(default=None, description="14 chiffres")
    siren: str | None = Field(default=None, description="9 chiffres (déduit du SIRET sinon)")
    buyer_kind: BuyerKind
    hours_threshold: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="Heures d'insertion à partir desquelles une considération sociale est attendue",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value.strip()) < 2:
            raise ValueError("indiquez le nom de l'organisation")
        return value.strip()

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.siret is not None:
            self.siret = self.siret.replace(" ", "")
            problem = siret_problem(self.siret)
            if problem:
                raise FieldValueError("siret", problem)
            if self.siren is not None and self.siren.replace(" ", "") != self.siret[:9]:
                raise FieldValueError("siren", "ne correspond pas aux 9 premiers chiffres du SIRET")
            self.siren = self.siret[:9]
        elif self.siren is not None:
            self.siren = self.siren.replace(" ", "")
            problem = siren_problem(self.siren)
            if problem:
                raise FieldValueError("siren", problem)
        else:
            raise FieldValueError("siret", "indiquez le SIRET ou le SIREN de l'organisation")
        return self


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200, pattern=LINE)
    buyer_kind: BuyerKind | None = None
    hours_threshold: int | None = Field(default=None, ge=1, le=10_000_000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and len(value.strip()) < 2:
            raise ValueError("indiquez le nom de l'organisation")
        return value.strip() if value is not None else None


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=EMAIL, max_length=254)
    role: MemberRole = MemberRole.MEMBER


class MemberPublic(BaseModel):
    id: int
    email: str | None
    role: MemberRole
    added_at: datetime


class OrganisationPublic(BaseModel):
    id: int
    name: str
    siren: str
    siret: str | None
    buyer_kind: BuyerKind
    buyer_kind_label: str
    hours_threshold: int | None
    members: list[MemberPublic]
    my_role: MemberRole | None
    created_at: datetime


class OrganisationList(BaseModel):
    items: list[OrganisationPublic]


class Lot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, pattern=LINE)
    estimated_amount_eur: float | None = Field(default=None, gt=0, le=1e10)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("indiquez l'intitulé du lot")
        return value.strip()


def lots_problem(lots: list[Any], amount: float) -> str | None:
    """Why the lots' amounts do not fit the project's estimated amount, in French, or None: the
    estimated amount of a marché divided in lots is the total of its lots."""
    total = sum(
        (lot["estimated_amount_eur"] if isinstance(lot, dict) else lot.estimated_amount_eur) or 0
        for lot in lots
    )
    if total > amount * (1 + 1e-9) + 0.005:
        return (
            f"le total des montants des lots ({total:,.0f} € HT) dépasse le montant estimé du "
            f"marché ({amount:,.0f} € HT)"
        ).replace(",", "\u202f")
    return None


class HoursParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labour_share_percent: float = Field(default=50, gt=0, le=100)
    insertion_rate_percent: float = Field(default=5, gt=0, le=100)
    hourly_cost_eur: float = Field(default=30, gt=0, le=1000)


_PROJECT_EXAMPLE: dict[str, Any] = {
    "title": "Nettoyage des locaux administratifs",
    "object": "Nettoyage quotidien de 12 bâtiments municipaux, 4 ans.",
    "sectors": ["nettoyage-de-locaux-16"],
    "department": "93",
    "contract_kind": "services",
    "estimated_amount_eur": 500000,
    "duration_months": 48,
    "procedure": "appel_offres_ouvert",
}
_SLUG = Annotated[str, Field(max_length=128)]
_CPV = Annotated[str, Field(pattern=r"^[0-9]{8}$")]


class ProjectFields(BaseModel):
    """The fields of a project, each optional: the base of its input and of its changes."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=3, max_length=200, pattern=LINE)
    object: str | None = Field(default=None, max_length=5000, pattern=TEXT)
    cpv: list[_CPV] | None = Field(default=None, max_length=20)
    sectors: list[_SLUG] | None = Field(default=None, max_length=20)
    department: str | None = Field(default=None, pattern=r"^[0-9AB]{2,3}$")
    commune: str | None = Field(default=None, pattern=r"^[0-9AB]{5}$")
    region: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    contract_kind: ContractKind | None = None
    estimated_amount_eur: float | None = Field(default=None, gt=0, le=1e10)
    duration_months: int | None = Field(default=None, ge=1, le=240)
    procedure: Procedure | None = None
    lots: list[Lot] | None = Field(default=None, max_length=MAX_LOTS)
    hours_parameters: HoursParameters | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value.strip()) < 3:
            raise ValueError("indiquez un titre d'au moins 3 caractères")
        return value.strip()


class ProjectInput(ProjectFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PROJECT_EXAMPLE]})

    title: str = Field(min_length=3, max_length=200, pattern=LINE)
    object: str = Field(default="", max_length=5000, pattern=TEXT)
    cpv: list[_CPV] = Field(default_factory=list, max_length=20)
    sectors: list[_SLUG] = Field(default_factory=list, max_length=20)
    contract_kind: ContractKind
    estimated_amount_eur: float = Field(gt=0, le=1e10)
    duration_months: int = Field(ge=1, le=240)
    procedure: Procedure
    lots: list[Lot] = Field(default_factory=list, max_length=MAX_LOTS)
    hours_parameters: HoursParameters = Field(default_factory=HoursParameters)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.sectors and not self.cpv:
            raise FieldValueError("sectors", "indiquez au moins un secteur ou un code CPV")
        places = [p for p in (self.department, self.commune, self.region) if p is not None]
        if len(places) != 1:
            raise FieldValueError(
                "department", "indiquez un seul lieu : un département, une commune ou une région"
            )
        problem = lots_problem(self.lots, self.estimated_amount_eur)
        if problem:
            raise FieldValueError("lots", problem)
        return self


class ProjectUpdate(ProjectFields):
    """The fields to change; sending a place replaces the place."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"estimated_amount_eur": 650000}]}
    )


class OptionChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: OptionCode
    lot: int | None = Field(default=None, ge=1, le=MAX_LOTS)


class Justification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: JustificationReason
    text: str = Field(default="", max_length=5000, pattern=TEXT)


class DecisionInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"options": [{"code": "reserve_L2113_13", "lot": None}], "justification": None},
                {
                    "options": [{"code": "none"}],
                    "justification": {
                        "reason": "absence_offre_inclusive",
                        "text": "Sourcing du 2 mars 2027 : aucune structure n'a répondu.",
                    },
                },
            ]
        },
    )

    options: list[OptionChoice] = Field(max_length=MAX_LOTS * 4 + 4)
    justification: Justification | None = None


class AwardInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    awarded_on: date | None = None

    @field_validator("awarded_on")
    @classmethod
    def _past(cls, value: date | None) -> date | None:
        if value is not None and value > buyers_today():
            raise ValueError(f"la date d'attribution est dans le futur ({value})")
        if value is not None and value < FIRST_AWARD:
            raise ValueError(f"la date d'attribution est antérieure à {FIRST_AWARD.year}")
        return value


class NeedFromProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish: bool = False
    deadline: date | None = None
    contact_email: str | None = Field(default=None, pattern=EMAIL, max_length=254)

    @field_validator("deadline")
    @classmethod
    def _ahead(cls, value: date | None) -> date | None:
        if value is not None and value < buyers_today():
            raise ValueError(f"la date limite est déjà passée ({value})")
        return value


class ProjectSummary(BaseModel):
    id: int
    title: str
    estimated_amount_eur: float
    contract_kind: ContractKind
    status: ProjectStatus
    climate_law_applies: bool
    social_consideration_expected: bool
    decision_summary: str | None
    decided_at: datetime | None
    awarded_at: date | None
    created_at: datetime
    need_id: int | None


class ProjectList(BaseModel):
    items: list[ProjectSummary]


class ProjectView(BaseModel):
    """A project with its evaluation and its decisions."""

    id: int
    organisation: dict[str, Any]
    title: str
    object: str
    cpv: list[str]
    sectors: list[str]
    sector_labels: list[str]
    place: dict[str, str]
    contract_kind: ContractKind
    contract_kind_label: str
    estimated_amount_eur: float
    duration_months: int
    procedure: Procedure
    procedure_label: str
    lots: list[dict[str, Any]]
    hours_parameters: dict[str, float]
    status: ProjectStatus
    version: int
    evaluation: dict[str, Any]
    decision: dict[str, Any] | None
    decisions: list[dict[str, Any]]
    need_id: int | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    awarded_on: date | None


class NeedCreated(BaseModel):
    need_id: int
    project: ProjectView
