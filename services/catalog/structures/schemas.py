"""What the catalog API reads and writes of a structure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from services.catalog.activities.schemas import ActivityPublic
from services.catalog.media.schemas import MediaPublic
from services.catalog.structures.models import StructureBase
from services.domain.kinds import Kind

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
CURRENT_YEAR = datetime.now(UTC).year


class ClientReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    logo_url: HttpUrl | None = None


class StructurePublic(StructureBase):
    id: int
    kind_label: str
    is_active: bool
    source: str
    field_sources: dict[str, dict[str, str]]
    version: int
    created_at: datetime
    updated_at: datetime
    activities: list[ActivityPublic]
    logo: MediaPublic | None = Field(default=None, description="Le logo déposé, s'il y en a un")
    photos: list[MediaPublic] = Field(default_factory=list, description="Photos de la structure")


class StructurePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[StructurePublic]


class StructureUpdate(BaseModel):
    """What a manager may change; fields left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "brand": "Les Jardins de Cocagne",
                    "description": "Maraîchage biologique et entretien d'espaces verts.",
                    "website": "https://www.exemple.fr",
                    "headcount_insertion": 24,
                    "labels": ["Qualiopi"],
                }
            ]
        },
    )

    brand: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    website: HttpUrl | None = None
    logo_url: HttpUrl | None = None
    address: str | None = Field(default=None, max_length=255)
    postcode: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    commune_code: str | None = Field(default=None, pattern=r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
    headcount_insertion: int | None = Field(default=None, ge=0, le=100_000)
    headcount_permanent: int | None = Field(default=None, ge=0, le=100_000)
    turnover_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    year_founded: int | None = Field(default=None, ge=1800, le=CURRENT_YEAR)
    networks: list[Slug] | None = Field(default=None, max_length=20)
    labels: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=20
    )
    client_references: list[ClientReference] | None = Field(default=None, max_length=50)
    # Staff only: the registry's name, the kind, the verification address, the listing status.
    name: str | None = Field(default=None, min_length=1, max_length=255)
    kind: Kind | None = None
    contact_email: Email | None = None
    is_active: bool | None = None

    @field_validator("networks", "labels")
    @classmethod
    def _unique(cls, values: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(values)) if values is not None else None

    def changes(self) -> dict[str, Any]:
        """The fields sent, as storable values (URLs as text)."""
        return self.model_dump(exclude_unset=True, mode="json")


STAFF_ONLY_FIELDS = frozenset({"name", "kind", "contact_email", "is_active"})


class ClaimState(BaseModel):
    id: int
    status: str = Field(description="pending, accepted, refused ou cancelled")


class LookupHit(BaseModel):
    """A structure as a manager finds it before claiming it or joining it."""

    id: int
    name: str
    brand: str | None
    siret: str | None
    kind: Kind
    kind_label: str
    city: str | None
    department: str | None
    is_active: bool
    managed: bool = Field(description="La structure a déjà au moins un gestionnaire")
    mine: bool = Field(description="Je gère cette structure")
    claim: ClaimState | None = Field(description="Ma dernière demande pour cette structure")
