"""Verified ownership: claiming a structure by SIRET, deciding claims, managing managers.

No first-come takeover: with no manager, a code goes to the structure's registered contact
address (or staff decide); with managers, one of its admins accepts or refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.imports.identifiers import siret_problem
from services.catalog.ownership.models import Claim, ClaimKind, ClaimStatus, MemberRole, Membership
from services.catalog.ownership.permissions import membership_of, require_manager, require_staff
from services.catalog.ownership.repository import OwnershipRepository
from services.catalog.ownership.schemas import ClaimCreate, ClaimPublic
from services.catalog.structures.models import Structure
from services.catalog.structures.repository import StructureRepository
from services.common.db import utcnow
from services.common.errors import AppError, Conflict, Forbidden, InvalidParameter, NotFound
from services.common.identity import Principal
from services.common.mail import mask_email, queue_mail

CODE_TTL = timedelta(hours=24)
MAX_CODE_ATTEMPTS = 5


class WrongCode(AppError):
    status, slug, title = 422, "wrong-code", "Code incorrect"


def _code_hash(secret: str, claim_id: int, code: str) -> str:
    return hmac.new(
        secret.encode(), f"claim:{claim_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def claim_public(session: Session, claim: Claim) -> ClaimPublic:
    return to_public(claim, StructureRepository(session).get(claim.structure_id))


def to_public(claim: Claim, structure: Structure | None) -> ClaimPublic:
    sent_to = None
    if claim.kind == ClaimKind.VERIFICATION and structure is not None and structure.contact_email:
        sent_to = mask_email(structure.contact_email)
    return ClaimPublic(
        **claim.model_dump(
            exclude={"code_hash", "code_expires_at", "attempts", "decided_by", "email"}
        ),
        code_sent_to=sent_to,
    )


def _target(session: Session, payload: ClaimCreate) -> Structure:
    if problem := siret_problem(payload.siret):
        raise InvalidParameter("siret", problem, "body")
    candidates = StructureRepository(session).active_with_siret(payload.siret)
    if payload.structure_id is not None:
        candidates = [s for s in candidates if s.id == payload.structure_id]
    if not candidates:
        raise NotFound(f"Aucune structure active avec le SIRET {payload.siret}.")
    if len(candidates) > 1:
        raise Conflict(
            "Plusieurs structures ont ce SIRET : précisez structure_id.",
            candidates=[
                {"id": s.id, "kind": s.kind, "name": s.name, "city": s.city} for s in candidates
            ],
        )
    return candidates[0]


def create_claim(
    session: Session, principal: Principal, payload: ClaimCreate, secret: str
) -> tuple[Claim, Structure]:
    structure = _target(session, payload)
    assert structure.id is not None
    repository = OwnershipRepository(session)
    if repository.membership(structure.id, principal.account_id) is not None:
        raise Conflict("Vous gérez déjà cette structure.")
    pending = repository.pending_claim(structure.id, principal.account_id)
    if pending is not None:
        raise Conflict("Une demande est déjà en cours pour cette structure.", claim_id=pending.id)
    if repository.member_count(structure.id):
        kind = ClaimKind.JOIN
    elif structure.contact_email:
        kind = ClaimKind.VERIFICATION
    else:
        kind = ClaimKind.STAFF_REVIEW
    claim = Claim(
        structure_id=structure.id,
        account_id=principal.account_id,
        email=principal.email,
        kind=kind,
        status=ClaimStatus.PENDING,
        message=payload.message,
    )
    session.add(claim)
    session.flush()
    assert claim.id is not None
    if kind == ClaimKind.VERIFICATION:
        assert structure.contact_email is not None
        code = f"{secrets.randbelow(1_000_000):06d}"
        claim.code_hash = _code_hash(secret, claim.id, code)
        claim.code_expires_at = utcnow() + CODE_TTL
        queue_mail(
            session,
            structure.contact_email,
            "Marché inclusif : code de vérification",
            f"Bonjour,\n\nQuelqu'un demande à gérer la fiche de « {structure.name} » sur Marché "
            f"inclusif.\nS'il s'agit bien de votre structure, communiquez-lui ce code : {code}\n"
            "Il est valable 24 heures. Sinon, ignorez ce message.\n",
        )
    elif kind == ClaimKind.JOIN:
        for admin in repository.admins(structure.id):
            if admin.email:
                queue_mail(
                    session,
                    admin.email,
                    "Marché inclusif : demande pour rejoindre votre structure",
                    f"Bonjour,\n\n{principal.email or principal.account_id} demande à gérer "
                    f"« {structure.name} » avec vous. Acceptez ou refusez la demande n° {claim.id} "
                    "depuis votre espace.\n",
                )
    audit.record(
        session,
        principal,
        structure.id,
        "claim.create",
        "claim",
        claim.id,
        {"kind": [None, kind.value]},
    )
    return claim, structure


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = OwnershipRepository(session).claim(claim_id)
    if claim is None:
        raise NotFound(f"Aucune demande n° {claim_id}.")
    return claim


def _grant(session: Session, claim: Claim, role: MemberRole) -> None:
    session.add(
        Membership(
            structure_id=claim.structure_id,
            account_id=claim.account_id,
            email=claim.email,
            role=role,
        )
    )


def verify_claim(
    session: Session, principal: Principal, claim_id: int, code: str, secret: str
) -> Claim:
    claim = get_claim(session, claim_id)
    if claim.account_id != principal.account_id:
        raise NotFound(f"Aucune demande n° {claim_id}.")
    if claim.kind != ClaimKind.VERIFICATION or claim.status != ClaimStatus.PENDING:
        raise Conflict("Cette demande n'attend pas de code.")
    if claim.attempts >= MAX_CODE_ATTEMPTS:
        raise Forbidden("Trop d'essais : faites une nouvelle demande.")
    if claim.code_expires_at is None or utcnow() > claim.code_expires_at:
        raise Conflict("Ce code a expiré : faites une nouvelle demande.")
    assert claim.code_hash is not None
    if not hmac.compare_digest(claim.code_hash, _code_hash(secret, claim_id, code)):
        OwnershipRepository(session).count_failed_attempt(claim_id)
        left = MAX_CODE_ATTEMPTS - claim.attempts - 1
        raise WrongCode(f"Code incorrect ({left} essai(s) restant(s)).")
    claim.status, claim.decided_at, claim.decided_by = (
        ClaimStatus.ACCEPTED,
        utcnow(),
        principal.account_id,
    )
    session.add(claim)
    _grant(session, claim, MemberRole.ADMIN)
    audit.record(session, principal, claim.structure_id, "claim.verified", "claim", claim_id)
    session.flush()
    return claim


def decide_claim(
    session: Session, principal: Principal, claim_id: int, accept: bool, reason: str | None
) -> Claim:
    claim = get_claim(session, claim_id)
    if claim.kind == ClaimKind.JOIN:
        require_manager(session, principal, claim.structure_id, MemberRole.ADMIN)
    else:
        require_staff(principal)
    if claim.status != ClaimStatus.PENDING:
        raise Conflict("Cette demande a déjà été traitée.")
    claim.status = ClaimStatus.ACCEPTED if accept else ClaimStatus.REFUSED
    claim.decided_at, claim.decided_by, claim.reason = utcnow(), principal.account_id, reason
    session.add(claim)
    if accept:
        # The first manager of a structure is its admin; those who join are editors.
        _grant(
            session, claim, MemberRole.EDITOR if claim.kind == ClaimKind.JOIN else MemberRole.ADMIN
        )
    if claim.email:
        verdict = "acceptée" if accept else "refusée"
        queue_mail(
            session,
            claim.email,
            f"Marché inclusif : demande {verdict}",
            f"Bonjour,\n\nVotre demande n° {claim.id} a été {verdict}."
            + (f"\nMotif : {reason}" if reason else "")
            + "\n",
        )
    audit.record(
        session,
        principal,
        claim.structure_id,
        "claim.accept" if accept else "claim.refuse",
        "claim",
        claim_id,
    )
    session.flush()
    return claim


def claims_for(session: Session, principal: Principal, structure_id: int | None) -> list[Claim]:
    repository = OwnershipRepository(session)
    if structure_id is None:
        return repository.claims(account_id=principal.account_id)
    require_manager(session, principal, structure_id, MemberRole.ADMIN)
    return repository.claims(structure_id=structure_id)


def members_of(session: Session, principal: Principal, structure_id: int) -> list[Membership]:
    require_manager(session, principal, structure_id)
    return OwnershipRepository(session).members(structure_id)


def _member(session: Session, structure_id: int, account_id: str) -> Membership:
    membership = membership_of(session, structure_id, account_id)
    if membership is None:
        raise NotFound(f"{account_id} ne gère pas cette structure.")
    return membership


def _keep_an_admin(session: Session, membership: Membership) -> None:
    if (
        membership.role == MemberRole.ADMIN
        and len(OwnershipRepository(session).admins(membership.structure_id)) == 1
    ):
        raise Conflict("Une structure garde au moins un administrateur.")


def change_role(
    session: Session, principal: Principal, structure_id: int, account_id: str, role: MemberRole
) -> Membership:
    require_manager(session, principal, structure_id, MemberRole.ADMIN)
    membership = _member(session, structure_id, account_id)
    if role != membership.role:
        if role == MemberRole.EDITOR:
            _keep_an_admin(session, membership)
        audit.record(
            session,
            principal,
            structure_id,
            "member.role",
            "membership",
            membership.id,
            {"account_id": [account_id, account_id], "role": [membership.role, role.value]},
        )
        membership.role = role
        session.add(membership)
        session.flush()
    return membership


def remove_member(
    session: Session, principal: Principal, structure_id: int, account_id: str
) -> None:
    if account_id != principal.account_id:
        require_manager(session, principal, structure_id, MemberRole.ADMIN)
    membership = _member(session, structure_id, account_id)
    _keep_an_admin(session, membership)
    audit.record(
        session,
        principal,
        structure_id,
        "member.remove",
        "membership",
        membership.id,
        {"account_id": [account_id, None]},
    )
    session.delete(membership)
    session.flush()
