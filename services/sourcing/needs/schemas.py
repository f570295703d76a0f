"""A buyer's need as the API reads and writes it, and a structure's answer."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.common.errors import FieldValueError
from services.domain.kinds import Kind, PrestaType
from services.domain.places import PlaceLevel
from services.domain.reservations import BOTH, Reservation
from services.sourcing.needs.models import AnswerStatus, NeedKind, NeedStatus

_EXAMPLE: dict[str, Any] = {
    "kind": "appel_offres",
    "title": "Entretien des espaces verts des écoles",
    "description": "Tonte, taille et désherbage de 12 groupes scolaires, marché de 2 ans.",
    "sectors": ["creation-et-entretien-des-espaces-verts"],
    "cpv_codes": ["77310000"],
    "place": {"level": "departement", "code": "93"},
    "presta_types": ["PREST"],
    "reservation": "L2113-13",
    "amount_min_eur": 50000,
    "amount_max_eur": 120000,
    "deadline": "2027-01-31",
    "questions": ["Disposez-vous de matériel électrique ?"],
}

RESERVATION_PATTERN = "^(" + "|".join([*(r.value for r in Reservation), BOTH]) + ")$"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# Buyers read their deadlines on French time.
BUYERS_TIME = ZoneInfo("Europe/Paris")


def buyers_today() -> date:
    return datetime.now(BUYERS_TIME).date()


def _deadline_ahead(value: date | None) -> date | None:
    if value is not None and value < buyers_today():
        raise PydanticCustomError(
            "deadline_past", "la date limite est déjà passée ({value})", {"value": str(value)}
        )
    return value


class NeedPlace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: PlaceLevel
    code: str = Field(pattern=r"^[0-9AB]{2,5}$")


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    kind: NeedKind
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=10_000)
    sectors: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list, max_length=20
    )
    cpv_codes: list[Annotated[str, Field(pattern=r"^[0-9]{8}$")]] = Field(
        default_factory=list, max_length=20
    )
    place: NeedPlace | None = None
    presta_types: list[PrestaType] = Field(default_factory=list, max_length=3)
    kinds: list[Kind] = Field(default_factory=list, max_length=10)
    reservation: str | None = Field(default=None, pattern=RESERVATION_PATTERN)
    amount_min_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    amount_max_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    deadline: date | None = None
    questions: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=10
    )
    external_ref: str | None = Field(
        default=None,
        max_length=100,
        description="Identifiant chez le partenaire : le renvoyer met à jour",
    )
    details: dict[str, Any] = Field(default_factory=dict, max_length=50)
    publish: bool = Field(default=False, description="Publier tout de suite (sinon brouillon)")

    _deadline = field_validator("deadline")(_deadline_ahead)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.sectors and not self.cpv_codes:
            raise FieldValueError("sectors", "indiquez au moins un secteur ou un code CPV")
        if (
            self.amount_min_eur is not None
            and self.amount_max_eur is not None
            and self.amount_min_eur > self.amount_max_eur
        ):
            raise FieldValueError("amount_min_eur", "dépasse amount_max_eur")
        return self


class NeedUpdate(BaseModel):
    """The fields to change, the others kept; `null` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"deadline": "2027-02-28", "place": {"level": "departement", "code": "94"}}
            ]
        },
    )

    kind: NeedKind | None = None
    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, min_length=10, max_length=10_000)
    sectors: list[Annotated[str, Field(max_length=128)]] | None = Field(default=None, max_length=20)
    cpv_codes: list[Annotated[str, Field(pattern=r"^[0-9]{8}$")]] | None = Field(
        default=None, max_length=20
    )
    place: NeedPlace | None = None
    presta_types: list[PrestaType] | None = Field(default=None, max_length=3)
    kinds: list[Kind] | None = Field(default=None, max_length=10)
    reservation: str | None = Field(default=None, pattern=RESERVATION_PATTERN)
    amount_min_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    amount_max_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    deadline: date | None = None
    questions: list[Annotated[str, Field(min_length=1, max_length=500)]] | None = Field(
        default=None, max_length=10
    )
    details: dict[str, Any] | None = Field(default=None, max_length=50)

    _deadline = field_validator("deadline")(_deadline_ahead)


class NeedPublic(BaseModel):
    id: int
    version: int
    kind: NeedKind
    title: str
    description: str
    sectors: list[str]
    cpv_codes: list[str]
    place_level: str | None
    place_code: str | None
    presta_types: list[str]
    kinds: list[str]
    reservation: str | None
    amount_min_eur: int | None
    amount_max_eur: int | None
    deadline: date | None
    questions: list[str]
    external_ref: str | None = None
    status: NeedStatus
    created_at: datetime
    published_at: datetime | None
    moderation_reason: str | None = Field(
        default=None, description="Pourquoi l'équipe a renvoyé le besoin en brouillon"
    )
    matches: int = 0
    answers: dict[str, int] = Field(default_factory=dict)
    project_id: int | None = Field(
        default=None, description="Projet d'achat dont le besoin a été déposé"
    )


class MatchPublic(BaseModel):
    structure_id: int
    structure_name: str
    score: float
    reasons: list[dict[str, Any]]
    fits: bool = Field(
        description="Faux quand la structure, prévenue, ne correspond plus au besoin modifié"
    )
    notified: bool
    opened: bool
    answer: AnswerStatus | None


class AnswerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "interested",
                    "answers": {"0": "Oui, deux tondeuses."},
                    "contact_email": "contact@structure.fr",
                }
            ]
        },
    )

    status: AnswerStatus
    reason: str | None = Field(default=None, max_length=1000)
    answers: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=10
    )
    contact_email: str | None = Field(
        default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254
    )

    @model_validator(mode="after")
    def _reason_when_declining(self) -> Self:
        if self.status == AnswerStatus.NOT_INTERESTED and not self.reason:
            raise FieldValueError(
                "reason", "indiquez la raison quand la structure n'est pas intéressée"
            )
        return self


class AnswerPublic(BaseModel):
    structure_id: int
    structure_name: str | None
    status: AnswerStatus
    reason: str | None
    answers: dict[str, str]
    contact_email: str | None
    answered_at: datetime


class NeedForStructure(BaseModel):
    """What a structure sees through its answer link: the need, never the buyer's contact."""

    need_id: int
    structure_id: int
    kind: NeedKind
    title: str
    description: str
    deadline: date | None
    questions: list[str]
    status: NeedStatus
    your_answer: AnswerStatus | None
    sectors: list[str] = Field(default_factory=list)
    place: str | None = Field(default=None, description="Lieu d'exécution, en clair")
    amount_band: str | None = Field(default=None, description="Montant estimé, en clair")
    published_at: datetime | None = None
    why: list[str] = Field(
        default_factory=list, description="Pourquoi la structure a été trouvée, en phrases"
    )
    your_answer_detail: AnswerPublic | None = Field(
        default=None, description="La réponse envoyée, telle que l'acheteur la lit"
    )


class OpenNeed(BaseModel):
    """A published need as a structure's managers see it in their space."""

    structure_id: int
    structure_name: str
    need_id: int
    kind: str
    title: str
    deadline: date | None
    score: float
    fits: bool
    opened: bool
    answer: str | None
    sectors: list[str] = Field(default_factory=list)
    place: str | None = Field(default=None, description="Lieu d'exécution, en clair")
    amount_band: str | None = Field(default=None, description="Montant estimé, en clair")
    published_at: datetime | None = None
    why: list[str] = Field(
        default_factory=list, description="Pourquoi la structure a été trouvée, en phrases"
    )


class UntoldMatch(BaseModel):
    """A structure matched by a published need that nobody could be told of: it has no manager
    yet, so staff may reach it by other means."""

    need_id: int
    need_title: str
    deadline: date | None
    structure_id: int
    structure_name: str
    score: float
    matched_at: datetime


class MissedNeed(BaseModel):
    """An open need a structure did not match though it is in its sectors or on its territory;
    nothing of the buyer."""

    id: int
    title: str
    kind: str
    sectors: list[str]
    place: str
    deadline: date | None
    published_at: datetime | None
    amount_band: str | None
    why: list[str] = Field(description="Pourquoi la structure n'a pas été retenue, en clair")
    missing: list[str] = Field(description="Critères non remplis : sector, zone, presta_type, kind")


class NeedInModeration(BaseModel):
    """A need waiting for staff, with who deposited it."""

    id: int
    kind: NeedKind
    title: str
    description: str
    sectors: list[str]
    cpv_codes: list[str]
    place_level: str | None
    place_code: str | None
    deadline: date | None
    buyer_email: str | None
    buyer_organisation: str | None
    moderation_reason: str | None
    created_at: datetime
    updated_at: datetime


class NeedRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Motif, envoyé à l'acheteur")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise FieldValueError("reason", "indiquez le motif du refus")
        return value.strip()
