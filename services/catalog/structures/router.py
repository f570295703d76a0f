"""Catalog API: structures, their listing edits and their audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.catalog.audit import service as audit
from services.catalog.audit.schemas import AuditPage
from services.catalog.dependencies import OptionalPrincipalDep, PrincipalDep, SessionDep
from services.catalog.outbox import indexing
from services.catalog.outbox.schemas import IndexingStatus
from services.catalog.ownership.permissions import membership_of, require_manager
from services.catalog.structures import lookup, service
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.schemas import (
    LookupHit,
    StructurePage,
    StructurePublic,
    StructureUpdate,
)
from services.common.errors import Forbidden
from services.common.params import IdPath, IfMatch, etag, expected_version
from services.domain.kinds import Kind

router = APIRouter(prefix="/v1/structures", tags=["structures"])


@router.get(
    "/lookup",
    response_model=list[LookupHit],
    summary="Retrouver une structure par SIRET, SIREN ou nom (connecté)",
    description=(
        "14 chiffres : ce SIRET ; 9 chiffres : tous les établissements de ce SIREN (ou le n° "
        "FINESS d'un ESAT) ; sinon les mots du nom ou de l'enseigne, sans tenir compte des "
        "accents ni des majuscules. 20 résultats au plus, avec, pour chacun, s'il a déjà un "
        "gestionnaire, si je le gère et ma dernière demande."
    ),
)
def lookup_structures(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(min_length=2, max_length=200, description="SIRET, SIREN ou nom")],
    department: Annotated[
        str | None, Query(pattern=r"^(?:[0-9]{2,3}|2[AB])$", description="Code du département")
    ] = None,
    include_inactive: Annotated[
        bool, Query(description="Inclure les structures retirées (équipe)")
    ] = False,
) -> list[LookupHit]:
    return lookup.lookup(session, principal, q.strip(), department, include_inactive)


@router.get(
    "/identities",
    summary="Identités de toutes les structures actives (équipe et services)",
    description=(
        "SIRET, SIREN, nom, enseigne, lieu, type et famille de chaque structure active : ce "
        "que le sourcing rapproche des dépenses des acheteurs. Réservé à l'équipe."
    ),
)
def structure_identities(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    if not principal.is_staff:
        raise Forbidden("Réservé à l'équipe et aux services de la plateforme.")
    return StructureRepository(session).identities()


@router.get(
    "/{structure_id}/indexing",
    response_model=IndexingStatus,
    summary="Ma fiche est-elle à jour dans la recherche ? (gestionnaires)",
)
def indexing_status(
    structure_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> IndexingStatus:
    # A delisted structure's managers may see that it left the search.
    structure = service.get_structure(session, structure_id, include_delisted=True)
    require_manager(session, principal, structure_id)
    return indexing.status_of(session, structure)


@router.get("/{structure_id}", response_model=StructurePublic, summary="Fiche d'une structure")
def get_structure(
    structure_id: IdPath,
    session: SessionDep,
    response: Response,
    principal: OptionalPrincipalDep,
) -> StructurePublic:
    # A delisted structure stays readable by the staff (to relist it) and its own managers.
    insider = principal is not None and (
        principal.is_staff or membership_of(session, structure_id, principal.account_id) is not None
    )
    structure = service.get_structure(session, structure_id, include_delisted=insider)
    response.headers["ETag"] = etag(structure.version)
    return service.public_structure(session, structure)


@router.patch(
    "/{structure_id}",
    response_model=StructurePublic,
    summary="Modifier la fiche (gestionnaires de la structure, équipe)",
    responses={
        412: {"description": "La fiche a changé depuis sa lecture"},
        428: {"description": "If-Match manquant"},
    },
)
def update_structure(
    structure_id: IdPath,
    payload: StructureUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> StructurePublic:
    structure = service.update_structure(
        session, principal, structure_id, expected_version(if_match), payload
    )
    response.headers["ETag"] = etag(structure.version)
    return service.public_structure(session, structure)


@router.get("", response_model=StructurePage, summary="Liste des structures actives")
def list_structures(
    session: SessionDep,
    kind: Kind | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StructurePage:
    return service.list_structures(session, kind, page, per_page)


@router.get(
    "/{structure_id}/audit",
    response_model=AuditPage,
    summary="Historique des modifications (gestionnaires, équipe)",
)
def audit_trail(
    structure_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    service.get_structure(session, structure_id, include_delisted=principal.is_staff)
    require_manager(session, principal, structure_id)
    return audit.trail(
        session, structure_id, (page - 1) * per_page, per_page, reveal_private=principal.is_staff
    )
