"""Spend API: an organisation's members send their supplier spend files, map their columns,
import a year, read the imports' history and rejections, and check how each supplier matched
the catalog. The dashboard's routes live beside, in `dashboard_router`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlmodel import Session

from services.common.auth import PrincipalDep
from services.common.errors import InvalidParameter
from services.common.params import IdPath
from services.sourcing.projects.service import in_transaction
from services.sourcing.spend import service, suppliers
from services.sourcing.spend.models import MatchKind
from services.sourcing.spend.schemas import (
    DecisionInput,
    FileView,
    SupplierItem,
    SupplierPage,
    UploadCreate,
    UploadList,
    UploadView,
)
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1/organisations/{organisation_id}/spend", tags=["dépenses"])
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="Année des dépenses")]
# Suggestions are described from the catalog's identities fetched at most this long ago.
SUGGESTIONS_MAX_AGE_S = 600.0


def _csv(chunks: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        (chunk.encode() for chunk in chunks),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _streamed(state: SourcingStateDep, produce: object) -> Iterator[str]:
    """A CSV produced on a session of its own while the answer is sent."""
    with Session(state.engine) as session:
        yield from produce(session)  # type: ignore[operator]


@router.post(
    "/files",
    status_code=201,
    response_model=FileView,
    summary="Envoyer un fichier de dépenses (CSV ou XLSX, 200 Mio au plus) : colonnes et aperçu",
    description=(
        "Le corps de la requête est le fichier lui-même. Format reconnu à ses octets : XLSX, "
        "sinon CSV en UTF-8 ou Windows-1252, séparateur « ; », « , » ou tabulation."
    ),
)
async def send_file(
    organisation_id: IdPath,
    request: Request,
    principal: PrincipalDep,
    state: SourcingStateDep,
    name: Annotated[str | None, Query(max_length=200, description="Nom du fichier")] = None,
) -> FileView:
    return await service.upload_file(
        state,
        principal,
        organisation_id,
        name,
        request.stream(),
        request.headers.get("content-length"),
    )


@router.get("/files/{file_id}", response_model=FileView, summary="Un fichier de dépenses envoyé")
async def read_file(
    organisation_id: IdPath, file_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> FileView:
    store = service.store_of(state)
    return await in_transaction(
        state, lambda s: service.read_file(s, store, principal, organisation_id, file_id)
    )


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadView,
    responses={202: {"model": UploadView, "description": "Import en cours"}},
    summary="Importer les dépenses d'une année depuis un fichier envoyé (remplace l'import en vigueur)",
)
async def start_upload(
    organisation_id: IdPath,
    payload: UploadCreate,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> UploadView | JSONResponse:
    started = await service.start_import(state, principal, organisation_id, payload)
    if started.finished:
        return started.upload
    return JSONResponse(started.upload.model_dump(mode="json"), status_code=202)


@router.get(
    "/uploads",
    response_model=UploadList,
    summary="Historique des imports de dépenses, le plus récent d'abord",
)
async def uploads(
    organisation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> UploadList:
    return await in_transaction(
        state, lambda s: service.history(s, principal, organisation_id, year)
    )


@router.get("/uploads/{upload_id}", response_model=UploadView, summary="Un import de dépenses")
async def upload(
    organisation_id: IdPath, upload_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> UploadView:
    return await in_transaction(
        state, lambda s: service.read_upload(s, principal, organisation_id, upload_id)
    )


@router.get(
    "/uploads/{upload_id}/rejections.csv",
    response_class=StreamingResponse,
    summary="Toutes les lignes refusées d'un import (CSV : ligne;colonne;motif;valeur)",
)
async def rejections(
    organisation_id: IdPath, upload_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> StreamingResponse:
    await in_transaction(
        state, lambda s: service.read_upload(s, principal, organisation_id, upload_id)
    )
    chunks = _streamed(
        state, lambda s: service.rejections_csv(s, principal, organisation_id, upload_id)
    )
    return _csv(chunks, f"lignes-refusees-import-{upload_id}.csv")


@router.get(
    "/suppliers",
    response_model=SupplierPage,
    summary="Fournisseurs de l'année et leur rapprochement avec le catalogue",
)
async def supplier_page(
    organisation_id: IdPath,
    year: YearQuery,
    principal: PrincipalDep,
    state: SourcingStateDep,
    match: MatchKind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SupplierPage:
    found, rows = await in_transaction(
        state,
        lambda s: suppliers.page(
            s, principal, organisation_id, year, match, (q or "").strip(), page, per_page
        ),
    )
    identities = {}
    if any(row.match == MatchKind.SUGGESTED for row in rows):
        known = await state.runner.directory.identities(SUGGESTIONS_MAX_AGE_S)
        identities = {int(i["id"]): i for i in known}
    found.items = [suppliers.item(row, identities) for row in rows]
    return found


@router.get(
    "/suppliers/export.csv",
    response_class=StreamingResponse,
    summary="Export CSV des fournisseurs de l'année et de leur rapprochement",
)
async def export_suppliers(
    organisation_id: IdPath, year: YearQuery, principal: PrincipalDep, state: SourcingStateDep
) -> StreamingResponse:
    chunks = await in_transaction(
        state, lambda s: list(suppliers.export_csv(s, principal, organisation_id, year))
    )
    return _csv(iter(chunks), f"fournisseurs-{year}.csv")


@router.post(
    "/suppliers/decision",
    response_model=SupplierItem,
    summary="Confirmer ou rejeter le rapprochement d'un fournisseur (retenu aux imports suivants)",
)
async def decide(
    organisation_id: IdPath,
    payload: DecisionInput,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> SupplierItem:
    structure = None
    if payload.decision == "confirm":
        target = await in_transaction(
            state, lambda s: suppliers.target_of(s, principal, organisation_id, payload)
        )
        structure_id = suppliers.confirmed_structure_id(target, payload)
        structure = await state.runner.directory.structure(structure_id)
        if structure is None or not structure.get("is_active", True):
            raise InvalidParameter(
                "structure_id", f"aucune structure active n°{structure_id} au catalogue", "body"
            )
    return await in_transaction(
        state, lambda s: suppliers.decide(s, principal, organisation_id, payload, structure)
    )
