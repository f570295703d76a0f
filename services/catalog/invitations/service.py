"""Invitations: an admin invites an address to manage the structure; the link is used once.

The link's token is never stored: only its SHA-256, as the gateway stores its tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.invitations.models import Invitation
from services.catalog.invitations.repository import InvitationRepository
from services.catalog.invitations.schemas import (
    InvitationCreate,
    InvitationPublic,
    InvitationStatus,
    InvitationView,
)
from services.catalog.ownership.models import ClaimStatus, MemberRole, Membership
from services.catalog.ownership.permissions import require_manager
from services.catalog.ownership.repository import OwnershipRepository
from services.catalog.settings import CatalogSettings
from services.catalog.structures.models import Structure
from services.catalog.structures.repository import StructureRepository
from services.common.db import as_utc, utcnow
from services.common.errors import AppError, Conflict, Forbidden, NotFound
from services.common.identity import Principal
from services.common.mail import mask_email, queue_mail

INVITATION_TTL = timedelta(days=14)
ROLE_LABELS = {MemberRole.ADMIN: "administrateur", MemberRole.EDITOR: "éditeur"}
INVITATION_PATH = "/invitations/"


class InvitationGone(AppError):
    status, slug, title = 410, "invitation-gone", "Invitation plus valable"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_of(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if (now or utcnow()) >= as_utc(invitation.expires_at):
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def to_public(invitation: Invitation) -> InvitationPublic:
    assert invitation.id is not None
    return InvitationPublic(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        invited_by=invitation.invited_by_email or invitation.invited_by,
        created_at=as_utc(invitation.created_at),
        expires_at=as_utc(invitation.expires_at),
    )


def _web_link(settings: CatalogSettings, path: str) -> str:
    return (settings.web_url or settings.public_url).rstrip("/") + path


def _who(principal: Principal) -> str:
    return principal.email or principal.account_id


def _structure(session: Session, structure_id: int) -> Structure:
    structure = StructureRepository(session).get(structure_id)
    if structure is None:
        raise NotFound(f"Aucune structure n° {structure_id}.")
    return structure


def invite(
    session: Session,
    principal: Principal,
    structure_id: int,
    payload: InvitationCreate,
    settings: CatalogSettings,
) -> Invitation:
    structure = _structure(session, structure_id)
    require_manager(session, principal, structure_id, MemberRole.ADMIN)
    email = payload.email.strip().lower()
    members = OwnershipRepository(session).members(structure_id)
    if any((m.email or "").lower() == email for m in members):
        raise Conflict(f"{email} gère déjà cette structure.", field="email")
    now = utcnow()
    repository = InvitationRepository(session)
    # Inviting the same address again sends a new link: the previous one stops working.
    for previous in repository.pending(structure_id, now, email):
        previous.revoked_at, previous.revoked_by = now, principal.account_id
        session.add(previous)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        structure_id=structure_id,
        email=email,
        role=payload.role,
        token_hash=token_hash(token),
        invited_by=principal.account_id,
        invited_by_email=principal.email,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    session.flush()
    role = ROLE_LABELS[payload.role]
    audit.record(
        session,
        principal,
        structure_id,
        "invitation.create",
        "invitation",
        invitation.id,
        {
            "summary": [None, f"{_who(principal)} a invité {email} comme {role}"],
            "email": [None, email],
            "role": [None, payload.role.value],
        },
    )
    link = _web_link(settings, INVITATION_PATH + token)
    queue_mail(
        session,
        email,
        f"Marché inclusif : invitation à gérer « {structure.name} »",
        f"Bonjour,\n\n{_who(principal)} vous invite à gérer la fiche de « {structure.name} » "
        f"sur Marché inclusif, comme {role}.\n\nPour accepter, connectez-vous avec cette adresse "
        f"({email}) puis ouvrez ce lien :\n{link}\n\nIl est valable 14 jours et ne sert qu'une "
        "fois. Si vous ne connaissez pas cette structure, ignorez ce message.\n",
    )
    return invitation


def pending_of(session: Session, principal: Principal, structure_id: int) -> list[Invitation]:
    _structure(session, structure_id)
    require_manager(session, principal, structure_id, MemberRole.ADMIN)
    return InvitationRepository(session).pending(structure_id, utcnow())


def revoke(session: Session, principal: Principal, structure_id: int, invitation_id: int) -> None:
    _structure(session, structure_id)
    require_manager(session, principal, structure_id, MemberRole.ADMIN)
    invitation = InvitationRepository(session).get(invitation_id)
    if invitation is None or invitation.structure_id != structure_id:
        raise NotFound(f"Aucune invitation n° {invitation_id} pour cette structure.")
    status = status_of(invitation)
    if status == InvitationStatus.ACCEPTED:
        raise Conflict("Cette invitation a déjà été acceptée : retirez plutôt le gestionnaire.")
    if status == InvitationStatus.REVOKED:
        return
    invitation.revoked_at, invitation.revoked_by = utcnow(), principal.account_id
    session.add(invitation)
    audit.record(
        session,
        principal,
        structure_id,
        "invitation.revoke",
        "invitation",
        invitation_id,
        {"summary": [None, f"{_who(principal)} a annulé l'invitation de {invitation.email}"]},
    )
    session.flush()


def _by_token(session: Session, token: str) -> Invitation:
    invitation = InvitationRepository(session).by_token_hash(token_hash(token))
    if invitation is None:
        raise NotFound("Cette invitation n'existe pas : vérifiez le lien reçu par e-mail.")
    return invitation


def view(session: Session, token: str) -> InvitationView:
    invitation = _by_token(session, token)
    structure = _structure(session, invitation.structure_id)
    return InvitationView(
        structure_id=invitation.structure_id,
        structure_name=structure.name,
        role=invitation.role,
        email=mask_email(invitation.email),
        expires_at=as_utc(invitation.expires_at),
        status=status_of(invitation),
    )


_GONE = {
    InvitationStatus.ACCEPTED: "Cette invitation a déjà été utilisée.",
    InvitationStatus.REVOKED: "Cette invitation a été annulée par un administrateur de la structure.",
    InvitationStatus.EXPIRED: (
        "Cette invitation a expiré : demandez une nouvelle invitation à un administrateur "
        "de la structure."
    ),
}


def accept(
    session: Session, principal: Principal, token: str, settings: CatalogSettings
) -> Membership:
    invitation = _by_token(session, token)
    status = status_of(invitation)
    if status != InvitationStatus.PENDING:
        raise InvitationGone(_GONE[status], invitation_status=status.value)
    if (principal.email or "").lower() != invitation.email.lower():
        raise Forbidden(
            f"Cette invitation a été envoyée à {mask_email(invitation.email)} : connectez-vous "
            "avec cette adresse pour l'accepter."
        )
    structure = _structure(session, invitation.structure_id)
    ownership = OwnershipRepository(session)
    if ownership.membership(invitation.structure_id, principal.account_id) is not None:
        raise Conflict("Vous gérez déjà cette structure.")
    now = utcnow()
    invitation.accepted_at, invitation.accepted_by = now, principal.account_id
    session.add(invitation)
    membership = Membership(
        structure_id=invitation.structure_id,
        account_id=principal.account_id,
        email=principal.email,
        role=invitation.role,
        created_at=now,
    )
    session.add(membership)
    # A request to join made before the invitation has no object any more.
    claim = ownership.pending_claim(invitation.structure_id, principal.account_id)
    if claim is not None:
        claim.status, claim.decided_at, claim.decided_by = ClaimStatus.CANCELLED, now, "system"
        session.add(claim)
    role = ROLE_LABELS[invitation.role]
    audit.record(
        session,
        principal,
        invitation.structure_id,
        "invitation.accept",
        "invitation",
        invitation.id,
        {
            "summary": [None, f"{_who(principal)} a accepté l'invitation comme {role}"],
            "account_id": [None, principal.account_id],
            "role": [None, invitation.role.value],
        },
    )
    if invitation.invited_by_email:
        queue_mail(
            session,
            invitation.invited_by_email,
            f"Marché inclusif : invitation acceptée pour « {structure.name} »",
            f"Bonjour,\n\n{_who(principal)} a accepté votre invitation : cette personne gère "
            f"désormais la fiche de « {structure.name} » comme {role}.\nLa fiche : "
            f"{_web_link(settings, f'/structures/{structure.id}')}\n",
        )
    session.flush()
    return membership
