"""Catalog API: claiming a structure, deciding claims, managing a structure's managers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response

from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.ownership import service
from services.catalog.ownership.proofs import (
    EXTENSIONS,
    MAX_PROOF_BYTES,
    ProofTooLarge,
    UploadedDocument,
)
from services.catalog.ownership.schemas import (
    ClaimCreate,
    ClaimDecision,
    ClaimPublic,
    ClaimVerify,
    MemberPublic,
    MemberUpdate,
    MePublic,
    StaffClaimPage,
)
from services.catalog.state import CatalogStateDep
from services.catalog.structures.service import get_structure
from services.catalog.uploads import MIB, read_capped
from services.common.params import IdPath

router = APIRouter(tags=["gestionnaires"])
AccountId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/v1/claims",
    status_code=201,
    response_model=ClaimPublic,
    summary="Demander à gérer une structure (par son SIRET, ou son identifiant sans SIRET)",
    description=(
        "Sans gestionnaire : acceptée aussitôt si votre adresse vérifiée est au domaine du site de "
        "la structure (hors messageries grand public) ; sinon un code est envoyé à l'adresse de "
        "contact enregistrée de la structure ; sans adresse de contact, déposez un justificatif "
        "(PUT /v1/claims/{id}/proof) que l'équipe examine. Avec gestionnaires : un administrateur "
        "accepte ou refuse."
    ),
)
def create_claim(
    payload: ClaimCreate, session: SessionDep, principal: PrincipalDep, state: CatalogStateDep
) -> ClaimPublic:
    claim, structure = service.create_claim(session, principal, payload, state.settings)
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
    state: CatalogStateDep,
    payload: ClaimDecision | None = None,
) -> ClaimPublic:
    claim = service.decide_claim(
        session, principal, claim_id, True, payload.reason if payload else None, state.settings
    )
    return service.claim_public(session, claim)


@router.post(
    "/v1/claims/{claim_id}/refuse",
    response_model=ClaimPublic,
    summary="Refuser une demande (motif obligatoire, envoyé au demandeur)",
)
def refuse_claim(
    claim_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    payload: ClaimDecision | None = None,
) -> ClaimPublic:
    claim = service.decide_claim(
        session, principal, claim_id, False, payload.reason if payload else None, state.settings
    )
    return service.claim_public(session, claim)


_PROOF_TYPES = {
    media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in EXTENSIONS
}


async def _capped_body(request: Request) -> UploadedDocument:
    return await read_capped(
        request,
        MAX_PROOF_BYTES,
        lambda: ProofTooLarge(f"Le justificatif dépasse {MAX_PROOF_BYTES // MIB} Mo."),
    )


ProofBody = Annotated[UploadedDocument, Depends(_capped_body)]


@router.put(
    "/v1/claims/{claim_id}/proof",
    response_model=ClaimPublic,
    summary="Déposer le justificatif d'une demande (le demandeur)",
    description=(
        "Le fichier brut dans le corps, avec Content-Type application/pdf, image/png ou "
        "image/jpeg ; 5 Mo au plus. Le type est lu dans le contenu du fichier. Un nouveau dépôt "
        "remplace le précédent tant que la demande est en attente."
    ),
    openapi_extra={"requestBody": {"required": True, "content": _PROOF_TYPES}},
    responses={
        413: {"description": "Plus de 5 Mo"},
        415: {"description": "Ni PDF, ni PNG, ni JPEG"},
    },
)
def put_proof(
    claim_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    document: ProofBody,  # after the identity: an anonymous body is refused before it is read
    background: BackgroundTasks,
) -> ClaimPublic:
    claim, replaced = service.attach_proof(session, principal, claim_id, document, state.proofs)
    if replaced is not None:
        # Removed once the new one is committed (tasks run after the answer is sent).
        background.add_task(state.proofs.remove, replaced)
    return service.claim_public(session, claim)


@router.get(
    "/v1/claims/{claim_id}/proof",
    summary="Lire le justificatif d'une demande (le demandeur et l'équipe)",
    response_class=Response,
    responses={200: {"description": "Le document", "content": _PROOF_TYPES}},
)
def get_proof(
    claim_id: IdPath, session: SessionDep, principal: PrincipalDep, state: CatalogStateDep
) -> Response:
    content, media_type, filename = service.read_proof(session, principal, claim_id, state.proofs)
    return Response(
        content,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )


@router.get(
    "/v1/staff/claims",
    response_model=StaffClaimPage,
    summary="File des demandes à examiner par l'équipe, les plus anciennes d'abord",
    description=(
        "Les demandes en attente qu'aucun code ne peut vérifier, avec leur justificatif "
        "(type, taille, date de dépôt, adresse où le lire) ; réservé à l'équipe."
    ),
)
def staff_claims(
    session: SessionDep,
    principal: PrincipalDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StaffClaimPage:
    total, claims = service.staff_queue(session, principal, offset, limit)
    return StaffClaimPage(total=total, items=claims)


@router.get(
    "/v1/me",
    response_model=MePublic,
    summary="Mes structures et mes demandes",
)
def me(session: SessionDep, principal: PrincipalDep) -> MePublic:
    return service.me(session, principal)


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
