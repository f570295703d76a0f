"""Favourite lists API: a logged-in buyer's named lists of structures, exported as a spreadsheet."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from services.common.auth import PrincipalDep, SessionDep
from services.common.errors import NotFound
from services.common.params import IdPath
from services.domain.search import XLSX
from services.sourcing.favourites import service
from services.sourcing.favourites.catalog import StructureSnapshot, active_structure
from services.sourcing.favourites.export import as_csv, as_xlsx
from services.sourcing.favourites.schemas import (
    FavouriteListCreate,
    FavouriteListPublic,
    FavouriteListSummary,
    FavouriteListUpdate,
    FavouriteStructurePublic,
)
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["favoris"])
LIMITS = (
    f"Au plus {service.MAX_LISTS} listes par compte et {service.MAX_STRUCTURES} structures "
    "par liste ; chaque compte ne voit que ses propres listes."
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Liste inconnue, ou liste d'un autre compte"}
}


@router.get(
    "/favourites",
    response_model=list[FavouriteListSummary],
    summary="Mes listes de favoris, avec le nombre de structures de chacune",
    description=LIMITS,
)
def my_lists(session: SessionDep, principal: PrincipalDep) -> list[FavouriteListSummary]:
    return service.lists_of(session, principal)


@router.post(
    "/favourites",
    status_code=201,
    response_model=FavouriteListSummary,
    summary="Créer une liste de favoris",
    description=LIMITS + " Un nom déjà pris (casse et espaces ignorés) est refusé (409).",
    responses={409: {"description": "Nom déjà pris, ou nombre maximal de listes atteint"}},
)
def create_list(
    payload: FavouriteListCreate, session: SessionDep, principal: PrincipalDep
) -> FavouriteListSummary:
    return service.create_list(session, principal, payload.name)


@router.get(
    "/favourites/{list_id}",
    response_model=FavouriteListPublic,
    summary="Lire une liste et ses structures",
    description=(
        "Chaque structure est décrite telle qu'elle était à son ajout (nom, type, SIRET, "
        "commune) ; sa fiche donne son état actuel."
    ),
    responses=NOT_FOUND,
)
def read_list(list_id: IdPath, session: SessionDep, principal: PrincipalDep) -> FavouriteListPublic:
    return service.read_list(session, principal, list_id)


@router.patch(
    "/favourites/{list_id}",
    response_model=FavouriteListSummary,
    summary="Renommer une liste",
    responses={**NOT_FOUND, 409: {"description": "Nom déjà pris par une autre de vos listes"}},
)
def rename_list(
    list_id: IdPath, payload: FavouriteListUpdate, session: SessionDep, principal: PrincipalDep
) -> FavouriteListSummary:
    return service.rename_list(session, principal, list_id, payload.name)


@router.delete(
    "/favourites/{list_id}",
    status_code=204,
    summary="Supprimer une liste (et ses structures)",
    responses=NOT_FOUND,
)
def delete_list(list_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Response:
    service.delete_list(session, principal, list_id)
    return Response(status_code=204)


async def listed_structure(structure_id: IdPath, state: SourcingStateDep) -> StructureSnapshot:
    """The structure of the path as the catalog lists it now: 404 when it has no active listing."""
    snapshot = await active_structure(state.runner.directory.client, structure_id)
    if snapshot is None:
        raise NotFound(f"Aucune structure active n'a l'identifiant {structure_id}.")
    return snapshot


@router.put(
    "/favourites/{list_id}/structures/{structure_id}",
    response_model=FavouriteStructurePublic,
    summary="Ajouter une structure à une liste (sans effet si elle y est déjà)",
    description=(
        "201 quand la structure est ajoutée, 200 quand elle y était déjà. 404 quand la liste "
        "n'est pas la vôtre ou que la structure n'existe pas (ou plus) au catalogue. " + LIMITS
    ),
    responses={
        200: {"description": "La structure était déjà dans la liste"},
        201: {"description": "Structure ajoutée", "model": FavouriteStructurePublic},
        404: {"description": "Liste ou structure inconnue"},
        409: {"description": "Nombre maximal de structures atteint"},
    },
)
def add_structure(
    list_id: IdPath,
    structure_id: IdPath,
    snapshot: Annotated[StructureSnapshot, Depends(listed_structure)],
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> FavouriteStructurePublic:
    entry, added = service.add_structure(session, principal, list_id, snapshot)
    response.status_code = 201 if added else 200
    return entry


@router.delete(
    "/favourites/{list_id}/structures/{structure_id}",
    status_code=204,
    summary="Retirer une structure d'une liste",
    responses={404: {"description": "Liste inconnue, ou structure absente de la liste"}},
)
def remove_structure(
    list_id: IdPath, structure_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    service.remove_structure(session, principal, list_id, structure_id)
    return Response(status_code=204)


@router.get(
    "/favourites/{list_id}/export",
    summary="Exporter une liste (CSV ou XLSX)",
    description=(
        "CSV en UTF-8 avec BOM, séparateur point-virgule ; une ligne par structure avec le "
        "lien vers sa fiche et la mention des sources."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "La liste, en pièce jointe",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **NOT_FOUND,
    },
)
def export_list(
    list_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$", description="csv ou xlsx")] = "csv",
) -> Response:
    row, entries = service.list_structures(session, principal, list_id)
    filename = f"favoris-{list_id}.{format}"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''"
        + quote(f"favoris-{row.name}.{format}", safe="")
    }
    if format == "csv":
        return Response(
            as_csv(entries, state.settings.website),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    return Response(
        as_xlsx(entries, state.settings.website, row.name), media_type=XLSX, headers=headers
    )
