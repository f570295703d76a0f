"""The public search schema: the parameters a search takes and the answer it gives, declared once
for sourcing (which reads them) and the gateway (which documents them)."""

# Annotations stay objects here (no postponed evaluation): FastAPI reads them from another module.
import typing
from dataclasses import dataclass, fields
from typing import Annotated, Any

import annotated_types
from fastapi import Query
from fastapi.params import Query as QueryInfo
from pydantic import BaseModel, Field

from services.domain.search_index import MAX_TOTAL_HITS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SORTS = ("pertinence", "distance", "nom")
MAX_PER_PAGE = 100
SOURCES = "Données : ASP (SIAE), FINESS/DREES (ESAT), INSEE, La Poste, IGN — Licence Ouverte 2.0"


def _many(description: str, example: str | None = None) -> Any:
    return Query(
        description=f"{description}. Une ou plusieurs valeurs : paramètre répété ou séparées par des virgules",
        examples=[[example]] if example else None,
    )


Flag = Annotated[bool | None, Query()]


@dataclass
class SearchParameters:
    """Every search parameter, as FastAPI reads them (sourcing checks the values)."""

    q: Annotated[
        str, Query(max_length=200, description="Texte libre, en français, tolérant aux fautes")
    ] = ""
    kind: Annotated[
        list[str] | None,
        _many("Types de structure : EI, AI, ACI, ETTI, EITI, GEIQ, SEP, EA, EATT, ESAT"),
    ] = None
    family: Annotated[list[str] | None, _many("Famille : insertion, handicap")] = None
    reservation: Annotated[
        list[str] | None,
        _many("Marchés réservés : L2113-12 (EA, EATT, ESAT), L2113-13 (SIAE)"),
    ] = None
    department: Annotated[
        list[str] | None, _many("Départements servis (ex. 93, 2A, 974)", "93")
    ] = None
    region: Annotated[list[str] | None, _many("Régions servies (codes INSEE, ex. 11, 84)")] = None
    commune: Annotated[list[str] | None, _many("Communes servies (codes INSEE, ex. 93066)")] = None
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Point + rayon : latitude")] = (
        None
    )
    lng: Annotated[
        float | None, Query(ge=-180, le=180, description="Point + rayon : longitude")
    ] = None
    radius_km: Annotated[
        int | None, Query(ge=1, le=1000, description="Point + rayon : rayon en km")
    ] = None
    sector: Annotated[
        list[str] | None,
        _many("Secteurs d'achat (slugs de la taxonomie)", "nettoyage-de-locaux-16"),
    ] = None
    sector_group: Annotated[list[str] | None, _many("Groupes de secteurs (slugs)")] = None
    cpv: Annotated[
        list[str] | None, _many("Codes CPV de l'avis de marché (8 chiffres)", "90911200")
    ] = None
    naf: Annotated[list[str] | None, _many("Codes NAF des structures (ex. 81.21Z)")] = None
    presta_type: Annotated[list[str] | None, _many("Types de prestation : DISP, PREST, BUILD")] = (
        None
    )
    qpv: Annotated[
        bool | None, Query(description="Commune comptant un quartier prioritaire (QPV 2024)")
    ] = None
    zrr: Annotated[
        bool | None, Query(description="Commune en zone de revitalisation rurale (ZRR 2022)")
    ] = None
    network: Annotated[list[str] | None, _many("Réseaux (slugs)")] = None
    label: Annotated[list[str] | None, _many("Labels")] = None
    headcount: Annotated[
        list[str] | None, _many("Tranches d'effectif en insertion : 0-9, 10-49, 50-249, 250+")
    ] = None
    turnover: Annotated[
        list[str] | None,
        _many("Tranches de chiffre d'affaires : 0-100k, 100k-500k, 500k-2M, 2M-10M, 10M+"),
    ] = None
    has_offers: Annotated[bool | None, Query(description="Avec des offres publiées")] = None
    sort: Annotated[str, Query(description="pertinence, distance ou nom")] = "pertinence"
    page: Annotated[int, Query(ge=1, le=MAX_TOTAL_HITS)] = 1
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _schema(annotation: Any, info: QueryInfo, default: Any) -> dict[str, Any]:
    base = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = base[0]
    if typing.get_origin(kind) is list:
        schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    else:
        schema = {"type": _JSON_TYPES[kind]}
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.Ge):
            schema["minimum"] = constraint.ge
        elif isinstance(constraint, annotated_types.Le):
            schema["maximum"] = constraint.le
        elif isinstance(constraint, annotated_types.MaxLen):
            schema["maxLength"] = constraint.max_length
    if default is not None:
        schema["default"] = default
    return schema


def openapi_parameters() -> list[dict[str, Any]]:
    """The parameters as an OpenAPI document lists them, for a route that forwards them."""
    hints = typing.get_type_hints(SearchParameters, include_extras=True)
    parameters = []
    for field in fields(SearchParameters):
        annotation, info = typing.get_args(hints[field.name])[:2]
        parameter: dict[str, Any] = {
            "name": field.name,
            "in": "query",
            "schema": _schema(annotation, info, field.default),
        }
        if parameter["schema"]["type"] == "array":
            parameter |= {"style": "form", "explode": True}
        if field.name == "sort":
            parameter["schema"]["enum"] = list(SORTS)
        if info.description:
            parameter["description"] = info.description
        parameters.append(parameter)
    return parameters


class Location(BaseModel):
    lat: float
    lng: float


class ActivityHit(BaseModel):
    sector: str
    sector_name: str | None
    presta_types: list[str]
    range: str
    radius_km: int | None
    zones: list[dict[str, Any]]
    inferred: bool = False


class MatchReason(BaseModel):
    """Why a structure is in the results."""

    kind: str = Field(description="activity | located | text")
    detail: str
    activity: int | None = Field(default=None, description="Index de l'activité dans `activities`")
    sector: str | None = None


class StructureHit(BaseModel):
    id: int
    name: str
    brand: str | None
    kind: str
    kind_label: str
    family: str
    reservations: list[str] = []
    siret: str | None
    finess: str | None
    address: str | None
    postcode: str | None
    city: str | None
    commune_code: str | None
    department_code: str | None
    department_name: str | None
    region_code: str | None
    region_name: str | None
    location: Location | None
    naf: str | None
    naf_label: str | None
    website: str | None
    logo_url: str | None = Field(
        default=None, description="Adresse du logo (/api/v1/media/…), s'il y en a un"
    )
    is_qpv: bool = False
    is_zrr: bool = False
    networks: list[str] = []
    labels: list[str] = []
    has_offers: bool = False
    sectors: list[str]
    presta_types: list[str]
    activities: list[ActivityHit]
    distance_km: float | None = Field(
        default=None, description="Distance au lieu cherché (centre de commune à centre de commune)"
    )
    matched: list[MatchReason] = []


class SearchResponse(BaseModel):
    query: str
    total: int = Field(description="Nombre exact de structures correspondant à la recherche")
    page: int
    per_page: int
    total_pages: int
    domain: dict[str, Any] = Field(
        default_factory=dict, description="Secteurs retenus (dont ceux déduits des codes CPV)"
    )
    hits: list[StructureHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Pour chaque filtre, le nombre de structures par valeur dans ce résultat"
    )
    sources: str = Field(default=SOURCES)
