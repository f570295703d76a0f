"""Saved searches and unsubscribing, as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.sourcing.alerts.models import Frequency

# Control characters are refused: a database may not store some (NUL), and no name needs one.
SearchName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]
Params = dict[str, Any] | Annotated[str, Field(max_length=4000)]
_PARAMS_DESCRIPTION = (
    "Les paramètres de la recherche (ceux de GET /api/v1/search, sauf page et per_page) : un "
    "objet {nom: valeur ou liste de valeurs}, ou la chaîne de requête telle que dans l'adresse "
    "(« department=93&sector=nettoyage-de-locaux-16 »). Vérifiés comme par la recherche."
)
_EXAMPLE: dict[str, Any] = {
    "name": "Nettoyage en Seine-Saint-Denis",
    "params": {"department": ["93"], "sector": ["nettoyage-de-locaux-16"]},
    "frequency": "weekly",
}


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: SearchName = Field(description="Nom, unique parmi vos recherches (1 à 100 caractères)")
    params: Params = Field(description=_PARAMS_DESCRIPTION)
    frequency: Frequency = Field(
        default=Frequency.WEEKLY,
        description="Alerte par e-mail des nouvelles structures : daily, weekly ou none",
    )


class SavedSearchUpdate(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"frequency": "daily"}]}
    )

    name: SearchName | None = None
    params: Params | None = Field(
        default=None,
        description=_PARAMS_DESCRIPTION
        + " Les structures trouvées par les nouveaux paramètres ne sont pas signalées.",
    )
    frequency: Frequency | None = None


class SavedSearchPublic(BaseModel):
    id: int
    name: str
    params: dict[str, list[str]] = Field(description="Paramètres, sous forme canonique")
    query: str = Field(description="Les paramètres en chaîne de requête")
    search_url: str = Field(description="La recherche sur le site")
    frequency: Frequency
    email: str | None = Field(description="Adresse où partent les alertes")
    created_at: datetime
    updated_at: datetime
    last_digest_at: datetime = Field(
        description="Dernière alerte envoyée, ou enregistrement de la recherche"
    )


class UnsubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200, description="Jeton du lien reçu par e-mail")


class UnsubscribeStatus(BaseModel):
    """What the link stops, or has stopped."""

    name: str = Field(description="Nom de la recherche enregistrée")
    frequency: Frequency = Field(description="Fréquence actuelle des alertes")
    email: str | None = Field(description="Adresse qui reçoit les alertes, masquée")
    subscribed: bool = Field(description="Des alertes partent encore")
    message: str
