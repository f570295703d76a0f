"""`GET /v1/search`: inclusive suppliers by text, territory and purchasing domain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from services.domain.search import XLSX, SearchResponse
from services.sourcing.search.export import csv_chunks, documents, xlsx_file
from services.sourcing.search.request import SearchParameters, search_parameters
from services.sourcing.search.service import SearchRequest, search_structures
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["recherche"])


async def search_request(
    request: Request,
    parameters: Annotated[SearchParameters, Depends(search_parameters)],
    state: SourcingStateDep,
) -> SearchRequest:
    return parameters.to_request(request, state.vocabulary)


SearchRequestDep = Annotated[SearchRequest, Depends(search_request)]


async def export_request(
    request: Request,
    parameters: Annotated[SearchParameters, Depends(search_parameters)],
    state: SourcingStateDep,
) -> SearchRequest:
    return parameters.to_request(request, state.vocabulary, extra=frozenset({"format"}))


ExportRequestDep = Annotated[SearchRequest, Depends(export_request)]


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
async def search(state: SourcingStateDep, search_request: SearchRequestDep) -> Response:
    found = await search_structures(state.search_engine, search_request, state.vocabulary)
    # Built and checked once by `search_structures`: serialised directly, not validated again.
    return Response(found.model_dump_json(), media_type="application/json")


@router.get(
    "/search/export",
    summary="Exporter tout le résultat d'une recherche (CSV ou XLSX)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def export(
    state: SourcingStateDep,
    search_request: ExportRequestDep,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$", description="csv ou xlsx")] = "csv",
) -> StreamingResponse:
    radii = await state.search_engine.radius_values()
    rows = documents(state.search_engine, search_request, radii)
    if format == "csv":
        return StreamingResponse(
            csv_chunks(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="fournisseurs-inclusifs.csv"'},
        )
    handle = await xlsx_file(rows)

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(64 * 1024):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="fournisseurs-inclusifs.xlsx"'},
    )
