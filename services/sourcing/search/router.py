"""`GET /v1/search`: inclusive suppliers by text, territory and purchasing domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.sourcing.search.request import SearchParameters
from services.sourcing.search.schemas import SearchResponse
from services.sourcing.search.service import SearchRequest, search_structures

router = APIRouter(prefix="/v1", tags=["recherche"])


def search_request(
    request: Request, parameters: Annotated[SearchParameters, Depends()]
) -> SearchRequest:
    return parameters.to_request(request, request.app.state.vocabulary)


SearchRequestDep = Annotated[SearchRequest, Depends(search_request)]


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Rechercher des fournisseurs inclusifs",
    description=(
        "Territoire : `commune`, `department`, `region` (plusieurs valeurs possibles) ou un point "
        "(`lat`, `lng`, `radius_km`). Une structure sert un lieu quand une de ses activités le "
        "couvre (France entière, zone, rayon) ou qu'elle y est implantée ; secteur, type de "
        "prestation et zone se vérifient sur la même activité. Domaine : `sector`, `sector_group`, "
        "`cpv` (code de l'avis de marché), `naf`. Chaque résultat dit pourquoi il correspond."
    ),
    openapi_extra={
        "examples": {
            "nettoyage-93": {
                "summary": "Nettoyage en Seine-Saint-Denis",
                "value": "?q=nettoyage&department=93",
            }
        }
    },
)
async def search(request: Request, search_request: SearchRequestDep) -> SearchResponse:
    return await search_structures(
        request.app.state.meili,
        request.app.state.settings.meili_index,
        search_request,
        request.app.state.vocabulary,
        request.app.state.radius_values,
    )
