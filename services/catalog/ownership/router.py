"""Catalog API: claiming a structure, deciding claims, managing a structure's managers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.ownership import service
from services.catalog.ownership.schemas import (
    ClaimCreate,
    ClaimDecision,
    ClaimPublic,
    ClaimVerify,
    MemberPublic,
    MemberUpdate,
)
from services.catalog.state import CatalogStateDep
from services.catalog.structures.service import get_structure
from services.common.params import IdPath

router = APIRouter(tags=["gestionnaires"])
AccountId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/v1/claims",
    status_code=201,
    response_model=ClaimPublic,
    summary="Demander à gérer une structure (par son SIRET)",
    description=(
        "Sans gestionnaire : un code est envoyé à l'adresse de contact enregistrée de la structure "
        "(ou l'équipe valide si elle n'en a pas). Avec gestionnaires : un administrateur accepte ou refuse."
    ),
)
def create_claim(
    payload: ClaimCreate, session: SessionDep, principal: PrincipalDep, state: CatalogStateDep
) -> ClaimPublic:
    claim, structure = service.create_claim(
        session, principal, payload, state.settings.identity_secret
    )
    return service.to_public(claim, structure)


@router.get(
    "/v1/claims",
    response_model=list[ClaimPublic],
    summary="Mes demandes, ou celles d'une structure",
)
def list_claims(
    session: SessionDep,
    principal: PrincipalDep,
    structure_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[ClaimPublic]:
    return [
        service.claim_public(session, c)
        for c in service.claims_for(session, principal, structure_id)
    ]


@router.post(
    "/v1/claims/{claim_id}/verify", response_model=ClaimPublic, summary="Saisir le code reçu"
)
def verify_claim(
    claim_id: IdPath,
    payload: ClaimVerify,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
) -> ClaimPublic:
    claim = service.verify_claim(
        session, principal, claim_id, payload.code, state.settings.identity_secret
    )
    return service.claim_public(session, claim)


@router.post(
    "/v1/claims/{claim_id}/accept", response_model=ClaimPublic, summary="Accepter une demande"
)
def accept_claim(
    claim_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    payload: ClaimDecision | None = None,
) -> ClaimPublic:
    claim = service.decide_claim(
        session, principal, claim_id, True, payload.reason if payload else None
    )
    return service.claim_public(session, claim)


@router.post(
    "/v1/claims/{claim_id}/refuse", response_model=ClaimPublic, summary="Refuser une demande"
)
def refuse_claim(
    claim_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    payload: ClaimDecision | None = None,
) -> ClaimPublic:
    claim = service.decide_claim(
        session, principal, claim_id, False, payload.reason if payload else None
    )
    return service.claim_public(session, claim)


@router.get(
    "/v1/structures/{structure_id}/members",
    response_model=list[MemberPublic],
    summary="Gestionnaires d'une structure",
)
def list_members(
    structure_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> list[MemberPublic]:
    get_structure(session, structure_id)
    return [
        MemberPublic.model_validate(m.model_dump())
        for m in service.members_of(session, principal, structure_id)
    ]


@router.patch(
    "/v1/structures/{structure_id}/members/{account_id}",
    response_model=MemberPublic,
    summary="Changer le rôle d'un gestionnaire (administrateurs)",
)
def change_role(
    structure_id: IdPath,
    account_id: AccountId,
    payload: MemberUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> MemberPublic:
    membership = service.change_role(session, principal, structure_id, account_id, payload.role)
    return MemberPublic.model_validate(membership.model_dump())


@router.delete(
    "/v1/structures/{structure_id}/members/{account_id}",
    status_code=204,
    summary="Retirer un gestionnaire (administrateurs, ou soi-même)",
)
def remove_member(
    structure_id: IdPath, account_id: AccountId, session: SessionDep, principal: PrincipalDep
) -> Response:
    service.remove_member(session, principal, structure_id, account_id)
    return Response(status_code=204)
