"""Catalog API: structures as the catalog knows them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.catalog.dependencies import SessionDep
from services.catalog.structures.kinds import Kind
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.schemas import StructurePage, StructurePublic
from services.catalog.structures.service import to_public
from services.common.errors import NotFound

router = APIRouter(prefix="/v1/structures", tags=["structures"])


@router.get("/{structure_id}", response_model=StructurePublic, summary="Fiche d'une structure")
def get_structure(
    structure_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep
) -> StructurePublic:
    repository = StructureRepository(session)
    structure = repository.get(structure_id)
    if structure is None or not structure.is_active:
        raise NotFound(f"Aucune structure active n'a l'identifiant {structure_id}.")
    return to_public(structure, repository.activities_of([structure_id])[structure_id])


@router.get("", response_model=StructurePage, summary="Liste des structures actives")
def list_structures(
    session: SessionDep,
    kind: Kind | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StructurePage:
    repository = StructureRepository(session)
    total, rows = repository.page(kind, (page - 1) * per_page, per_page)
    activities = repository.activities_of([s.id for s in rows if s.id is not None])
    return StructurePage(
        total=total,
        page=page,
        per_page=per_page,
        items=[to_public(s, activities[s.id]) for s in rows if s.id is not None],
    )
