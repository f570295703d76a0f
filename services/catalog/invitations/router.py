"""Catalog API: inviting someone to manage a structure, and accepting an invitation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.invitations import service
from services.catalog.invitations.schemas import (
    InvitationCreate,
    InvitationPublic,
    InvitationView,
)
from services.catalog.ownership.schemas import MemberPublic
from services.catalog.state import CatalogStateDep
from services.common.params import IdPath

router = APIRouter(tags=["gestionnaires"])
Token = Annotated[
    str,
    Path(
        min_length=20,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Jeton du lien reçu par e-mail",
    ),
]


@router.post(
    "/v1/structures/{structure_id}/invitations",
    status_code=201,
    response_model=InvitationPublic,
    summary="Inviter une personne à gérer la structure (administrateurs)",
    description=(
        "Un e-mail part vers l'adresse avec un lien valable 14 jours, utilisable une fois. "
        "Inviter de nouveau la même adresse annule le lien précédent. 409 si l'adresse gère "
        "déjà la structure."
    ),
)
def create_invitation(
    structure_id: IdPath,
    payload: InvitationCreate,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
) -> InvitationPublic:
    invitation = service.invite(session, principal, structure_id, payload, state.settings)
    return service.to_public(invitation)


@router.get(
    "/v1/structures/{structure_id}/invitations",
    response_model=list[InvitationPublic],
    summary="Invitations en attente (administrateurs)",
)
def list_invitations(
    structure_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> list[InvitationPublic]:
    return [service.to_public(i) for i in service.pending_of(session, principal, structure_id)]


@router.delete(
    "/v1/structures/{structure_id}/invitations/{invitation_id}",
    status_code=204,
    summary="Annuler une invitation (administrateurs)",
)
def revoke_invitation(
    structure_id: IdPath, invitation_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    service.revoke(session, principal, structure_id, invitation_id)
    return Response(status_code=204)


@router.get(
    "/v1/invitations/{token}",
    response_model=InvitationView,
    summary="Lire une invitation reçue (connecté)",
)
def read_invitation(token: Token, session: SessionDep, principal: PrincipalDep) -> InvitationView:
    return service.view(session, token)


@router.post(
    "/v1/invitations/{token}/accept",
    response_model=MemberPublic,
    summary="Accepter une invitation (connecté, avec l'adresse invitée)",
    responses={
        403: {"description": "Le compte n'a pas l'adresse invitée"},
        410: {"description": "Invitation déjà utilisée, annulée ou expirée"},
    },
)
def accept_invitation(
    token: Token, session: SessionDep, principal: PrincipalDep, state: CatalogStateDep
) -> MemberPublic:
    membership = service.accept(session, principal, token, state.settings)
    return MemberPublic.model_validate(membership.model_dump())
