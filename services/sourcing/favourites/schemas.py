"""Favourite lists as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Surrounding spaces are not part of a name; an empty or blank name is refused.
# Control characters are refused: a database may not store some (NUL), and no name needs one.
ListName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]


class FavouriteListCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Nettoyage Seine-Saint-Denis"}]}
    )

    name: ListName = Field(
        description="Nom de la liste, unique parmi vos listes (1 à 100 caractères)"
    )


class FavouriteListUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Traiteurs"}]}
    )

    name: ListName = Field(description="Nouveau nom, unique parmi vos listes")


class FavouriteListSummary(BaseModel):
    id: int
    name: str
    count: int = Field(description="Nombre de structures dans la liste")
    created_at: datetime
    updated_at: datetime


class FavouriteStructurePublic(BaseModel):
    """A structure as it was when added to the list (its page gives what it is now)."""

    structure_id: int
    name: str
    kind: str
    kind_label: str
    siret: str | None
    postcode: str | None
    city: str | None
    department_code: str | None
    added_at: datetime


class FavouriteListPublic(FavouriteListSummary):
    structures: list[FavouriteStructurePublic] = Field(
        description="Les structures, des plus récemment ajoutées aux plus anciennes"
    )
