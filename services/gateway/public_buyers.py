"""The public buyers' figures from the DECP, their ranking and its method: open to all, forwarded
to the catalog that computes them (a caller who identifies needs `search:read`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request, Response

from services.gateway.auth import caller_dependency, open_or
from services.gateway.state import upstream

# Credentials, when presented, are checked on every route, the open ones included.
router = APIRouter(
    prefix="/api/v1/public-buyers",
    tags=["acheteurs publics"],
    dependencies=[Depends(caller_dependency), open_or("search:read")],
)

Siret = Annotated[str, Path(max_length=20, description="SIRET de l'acheteur (14 chiffres)")]


def _query(name: str, description: str, schema: dict[str, object]) -> dict[str, object]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


_FORMAT = _query("format", "json (par défaut) ou csv", {"type": "string", "enum": ["json", "csv"]})


@router.get("/method", summary="Méthode du classement des acheteurs publics")
async def method(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/public-buyers/method", request)


@router.get(
    "/ranking",
    summary="Classement des acheteurs publics d'une année (considérations sociales)",
    openapi_extra={
        "parameters": [
            _query("year", "Année de notification (la dernière par défaut)", {"type": "integer"}),
            _query("region", "Code INSEE de la région", {"type": "string"}),
            _query("category", "Catégorie d'acheteur (voir la méthode)", {"type": "string"}),
            _query("band", "Tranche de taille (voir la méthode)", {"type": "string"}),
            _query("page", "Page, à partir de 1", {"type": "integer"}),
            _query("per_page", "Acheteurs par page (200 au plus)", {"type": "integer"}),
            _FORMAT,
        ]
    },
)
async def ranking(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/public-buyers/ranking", request)


@router.get(
    "",
    summary="Retrouver un acheteur public par son nom ou son SIRET",
    openapi_extra={"parameters": [_query("q", "Nom ou début de SIRET", {"type": "string"})]},
)
async def find(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/public-buyers", request)


@router.get(
    "/{siret}",
    summary="Fiche d'un acheteur public : ses chiffres année par année",
    openapi_extra={"parameters": [_FORMAT]},
)
async def buyer(siret: Siret, request: Request) -> Response:
    path = f"/v1/public-buyers/{quote(siret, safe='')}"
    return await upstream(request, "catalog").get(path, request)
