"""Catalog API for the staff: the import runs and the lines they rejected."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.imports import runs
from services.catalog.imports.schemas import ImportRunDetail, ImportRunPublic
from services.common.params import IdPath

router = APIRouter(prefix="/v1/staff/imports", tags=["équipe"])


@router.get(
    "",
    response_model=list[ImportRunPublic],
    summary="Imports des fichiers de structures, les plus récents d'abord (équipe)",
)
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Nombre d'imports")] = 100,
) -> list[ImportRunPublic]:
    return runs.runs(session, principal, limit)


@router.get(
    "/{run_id}",
    response_model=ImportRunDetail,
    summary="Un import et ses lignes écartées, 50 par page (équipe)",
)
def run_detail(
    run_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> ImportRunDetail:
    return runs.run_detail(session, principal, run_id, page)
