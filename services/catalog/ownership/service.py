"""Verified ownership: claiming a structure by SIRET, deciding claims, managing managers.

No first-come takeover: with no manager, the claim is accepted at once when the claimant's
verified address is at the structure's website domain; otherwise a code goes to the structure's
registered contact address, or, with none, the claimant uploads a proof that staff decide on.
With managers, one of its admins accepts or refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.imports.identifiers import siret_problem
from services.catalog.ownership.domains import DOMAIN_MATCH, shared_domain
from services.catalog.ownership.models import Claim, ClaimKind, ClaimStatus, MemberRole, Membership
from services.catalog.ownership.permissions import membership_of, require_manager, require_staff
from services.catalog.ownership.proofs import (
    EXTENSIONS,
    ProofStore,
    UploadedDocument,
    checked_type,
)
from services.catalog.ownership.repository import OwnershipRepository
from services.catalog.ownership.schemas import (
    ClaimCreate,
    ClaimPublic,
    ManagedStructure,
    MePublic,
    ProofPublic,
    StaffClaimPublic,
)
from services.catalog.settings import CatalogSettings
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


def _link(settings: CatalogSettings, path: str) -> str:
    return settings.public_url.rstrip("/") + path


def proof_path(claim_id: int) -> str:
    """Where a claim's proof is read on the public API."""
    return f"/api/v1/claims/{claim_id}/proof"


_PRIVATE = {
    "code_hash",
    "code_expires_at",
    "attempts",
    "decided_by",
    "email",
    "proof_file",
    "proof_media_type",
    "proof_size",
    "proof_sha256",
    "proof_uploaded_at",
}


def _public_fields(claim: Claim, structure: Structure | None) -> dict[str, object]:
    sent_to = None
    if claim.kind == ClaimKind.VERIFICATION and structure is not None and structure.contact_email:
        sent_to = mask_email(structure.contact_email)
    proof = None
    if claim.proof_file and claim.proof_media_type and claim.proof_uploaded_at:
        assert claim.id is not None
        proof = ProofPublic(
            media_type=claim.proof_media_type,
            size=claim.proof_size or 0,
            uploaded_at=claim.proof_uploaded_at,
            url=proof_path(claim.id),
        )
    return {
        **claim.model_dump(exclude=_PRIVATE),
        "method": claim.kind,
        "structure_name": structure.name if structure is not None else None,
        "code_sent_to": sent_to,
        "proof": proof,
    }


def claim_public(session: Session, claim: Claim) -> ClaimPublic:
    return to_public(claim, StructureRepository(session).get(claim.structure_id))


def to_public(claim: Claim, structure: Structure | None) -> ClaimPublic:
    return ClaimPublic.model_validate(_public_fields(claim, structure))


def _target(session: Session, payload: ClaimCreate) -> Structure:
    if payload.siret is None:
        if payload.structure_id is None:
            raise InvalidParameter(
                "siret",
                "indiquez le SIRET de la structure, ou son identifiant (structure_id)",
                "body",
            )
        structure = StructureRepository(session).get(payload.structure_id)
        if structure is None or not structure.is_active:
            raise NotFound(f"Aucune structure active n'a l'identifiant {payload.structure_id}.")
        return structure
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
    session: Session, principal: Principal, payload: ClaimCreate, settings: CatalogSettings
) -> tuple[Claim, Structure]:
    structure = _target(session, payload)
    assert structure.id is not None
    repository = OwnershipRepository(session)
    if repository.membership(structure.id, principal.account_id) is not None:
        raise Conflict("Vous gérez déjà cette structure.")
    pending = repository.pending_claim(structure.id, principal.account_id)
    if pending is not None and _code_spent(pending):
        # Its code can no longer be entered (too many tries, or expired): the claimant is told
        # to make a new claim, which replaces it.
        pending.status, pending.decided_at = ClaimStatus.CANCELLED, utcnow()
        session.add(pending)
        session.flush()
    elif pending is not None:
        raise Conflict("Une demande est déjà en cours pour cette structure.", claim_id=pending.id)
    # The gateway signs identities only for accounts whose address is confirmed (no session nor
    # key before the e-mail is verified), so the principal's address is a verified one.
    domain = shared_domain(principal.email, structure.website)
    if repository.member_count(structure.id):
        kind = ClaimKind.JOIN
    elif domain is not None:
        kind = ClaimKind.EMAIL_DOMAIN
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
    listing = _link(settings, f"/api/v1/structures/{structure.id}")
    audit.record(
        session,
        principal,
        structure.id,
        "claim.create",
        "claim",
        claim.id,
        {"kind": [None, kind.value]},
    )
    if kind == ClaimKind.EMAIL_DOMAIN:
        assert domain is not None
        _accept_by_domain(session, principal, claim, structure, domain, listing)
    elif kind == ClaimKind.VERIFICATION:
        assert structure.contact_email is not None
        code = f"{secrets.randbelow(1_000_000):06d}"
        claim.code_hash = _code_hash(settings.identity_secret, claim.id, code)
        claim.code_expires_at = utcnow() + CODE_TTL
        queue_mail(
            session,
            structure.contact_email,
            "Marché inclusif : code de vérification",
            f"Bonjour,\n\nQuelqu'un demande à gérer la fiche de « {structure.name} » sur Marché "
            f"inclusif :\n{listing}\n\nS'il s'agit bien de votre structure, communiquez-lui "
            f"ce code : {code}\nIl est valable 24 heures. Sinon, ignorez ce message.\n",
        )
    elif kind == ClaimKind.STAFF_REVIEW and principal.email:
        queue_mail(
            session,
            principal.email,
            "Marché inclusif : déposez un justificatif",
            f"Bonjour,\n\nVotre demande n° {claim.id} pour gérer « {structure.name} » sera "
            "examinée par l'équipe de la plateforme. Déposez un justificatif (extrait Kbis, "
            "avis de situation SIRENE, convention ou agrément, en PDF, PNG ou JPEG, 5 Mo au plus) "
            f"montrant votre lien avec la structure, en PUT à l'adresse :\n"
            f"{_link(settings, proof_path(claim.id))}\n",
        )
    elif kind == ClaimKind.JOIN:
        for admin in repository.admins(structure.id):
            if admin.email:
                queue_mail(
                    session,
                    admin.email,
                    "Marché inclusif : demande pour rejoindre votre structure",
                    f"Bonjour,\n\n{principal.email or principal.account_id} demande à gérer "
                    f"« {structure.name} » avec vous (demande n° {claim.id}). Les demandes en "
                    f"cours :\n{_link(settings, f'/api/v1/claims?structure_id={structure.id}')}\n"
                    "Acceptez ou refusez-la depuis votre espace.\n",
                )
    session.flush()
    return claim, structure


def _accept_by_domain(
    session: Session,
    principal: Principal,
    claim: Claim,
    structure: Structure,
    domain: str,
    listing: str,
) -> None:
    """Accepted at once, and said so: in the audit trail, to the claimant, to the contact."""
    assert claim.id is not None
    claim.status, claim.decided_at, claim.decided_by = ClaimStatus.ACCEPTED, utcnow(), "system"
    claim.reason = DOMAIN_MATCH
    _grant(session, claim, MemberRole.ADMIN)
    audit.record(
        session,
        "system",
        claim.structure_id,
        "claim.accept",
        "claim",
        claim.id,
        {"method": [None, DOMAIN_MATCH], "domain": [None, domain]},
    )
    if principal.email:
        queue_mail(
            session,
            principal.email,
            "Marché inclusif : demande acceptée",
            f"Bonjour,\n\nVotre adresse est au domaine du site de « {structure.name} » "
            f"({domain}) : vous en êtes désormais administrateur.\nLa fiche : {listing}\n",
        )
    if structure.contact_email:
        queue_mail(
            session,
            structure.contact_email,
            "Marché inclusif : un gestionnaire pour votre fiche",
            f"Bonjour,\n\n{principal.email} gère désormais la fiche de « {structure.name} » "
            f"sur Marché inclusif :\n{listing}\nSi cette personne n'appartient pas à votre "
            "structure, signalez-le à l'équipe de la plateforme.\n",
        )


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


def _code_spent(claim: Claim) -> bool:
    """A claim by code whose code can no longer be entered."""
    return claim.kind == ClaimKind.VERIFICATION and (
        claim.attempts >= MAX_CODE_ATTEMPTS
        or claim.code_expires_at is None
        or utcnow() > claim.code_expires_at
    )


def verify_claim(
    session: Session, principal: Principal, claim_id: int, code: str, secret: str
) -> Claim:
    claim = _own_claim(session, principal, claim_id)
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
    session: Session,
    principal: Principal,
    claim_id: int,
    accept: bool,
    reason: str | None,
    settings: CatalogSettings,
) -> Claim:
    claim = get_claim(session, claim_id)
    if claim.kind == ClaimKind.JOIN:
        require_manager(session, principal, claim.structure_id, MemberRole.ADMIN)
    else:
        require_staff(principal)
    if claim.status != ClaimStatus.PENDING:
        raise Conflict("Cette demande a déjà été traitée.")
    reason = (reason or "").strip() or None
    if not accept and reason is None:
        raise InvalidParameter("reason", "le motif d'un refus est obligatoire", "body")
    claim.status = ClaimStatus.ACCEPTED if accept else ClaimStatus.REFUSED
    claim.decided_at, claim.decided_by, claim.reason = utcnow(), principal.account_id, reason
    session.add(claim)
    if accept:
        # The first manager of a structure is its admin; those who join are editors.
        _grant(
            session, claim, MemberRole.EDITOR if claim.kind == ClaimKind.JOIN else MemberRole.ADMIN
        )
    if claim.email:
        _tell_decision(session, claim, accept, settings)
    changes: dict[str, list[str | None]] = {"reason": [None, reason]} if reason else {}
    if claim.kind == ClaimKind.STAFF_REVIEW:
        # What the decision was made on: the proof's digest, or none (staff checked otherwise).
        changes["proof_sha256"] = [None, claim.proof_sha256]
    audit.record(
        session,
        principal,
        claim.structure_id,
        "claim.accept" if accept else "claim.refuse",
        "claim",
        claim_id,
        changes,
    )
    session.flush()
    return claim


def _tell_decision(session: Session, claim: Claim, accept: bool, settings: CatalogSettings) -> None:
    assert claim.email is not None
    structure = StructureRepository(session).get(claim.structure_id)
    name = structure.name if structure is not None else f"n° {claim.structure_id}"
    verdict = "acceptée" if accept else "refusée"
    lines = [f"Bonjour,\n\nVotre demande n° {claim.id} pour gérer « {name} » a été {verdict}."]
    if claim.reason:
        lines.append(f"Motif : {claim.reason}")
    if accept:
        lines.append(
            "Vous pouvez désormais tenir sa fiche à jour :\n"
            + _link(settings, f"/api/v1/structures/{claim.structure_id}")
        )
    else:
        lines.append(
            "Vous pouvez faire une nouvelle demande, avec un autre justificatif :\n"
            + _link(settings, "/api/v1/claims")
        )
    queue_mail(
        session, claim.email, f"Marché inclusif : demande {verdict}", "\n".join(lines) + "\n"
    )


def _own_claim(session: Session, principal: Principal, claim_id: int) -> Claim:
    """The caller's claim; somebody else's does not exist for them."""
    claim = get_claim(session, claim_id)
    if claim.account_id != principal.account_id:
        raise NotFound(f"Aucune demande n° {claim_id}.")
    return claim


def attach_proof(
    session: Session,
    principal: Principal,
    claim_id: int,
    document: UploadedDocument,
    store: ProofStore,
) -> tuple[Claim, str | None]:
    """Stores the claimant's proof; answers the claim and the file it replaces, if any."""
    claim = _own_claim(session, principal, claim_id)
    if claim.kind != ClaimKind.STAFF_REVIEW:
        raise Conflict("Cette demande ne se vérifie pas par un justificatif.")
    if claim.status != ClaimStatus.PENDING:
        raise Conflict("Cette demande a déjà été traitée.")
    if not document.content:
        raise InvalidParameter("document", "le justificatif est vide", "body")
    media_type = checked_type(document.content, document.declared_type)
    stored = store.save(document.content, media_type)
    replaced = claim.proof_file
    claim.proof_file, claim.proof_media_type = stored.name, stored.media_type
    claim.proof_size, claim.proof_sha256 = stored.size, stored.sha256
    claim.proof_uploaded_at = utcnow()
    session.add(claim)
    audit.record(
        session,
        principal,
        claim.structure_id,
        "claim.proof",
        "claim",
        claim_id,
        {"proof": [None, f"{stored.media_type}, {stored.size} octets, sha256 {stored.sha256}"]},
    )
    session.flush()
    return claim, replaced


def read_proof(
    session: Session, principal: Principal, claim_id: int, store: ProofStore
) -> tuple[bytes, str, str]:
    """The proof's bytes, type and download name: for the claimant and the staff only."""
    if principal.is_staff:
        claim = get_claim(session, claim_id)
    else:
        claim = _own_claim(session, principal, claim_id)
    if not claim.proof_file or not claim.proof_media_type:
        raise NotFound(f"La demande n° {claim_id} n'a pas de justificatif.")
    try:
        content = store.read(claim.proof_file)
    except FileNotFoundError as exc:
        raise NotFound(f"Le justificatif de la demande n° {claim_id} est introuvable.") from exc
    extension = EXTENSIONS[claim.proof_media_type]
    return content, claim.proof_media_type, f"justificatif-demande-{claim_id}.{extension}"


def staff_queue(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[int, list[StaffClaimPublic]]:
    require_staff(principal)
    total, rows = OwnershipRepository(session).staff_queue(offset, limit)
    return total, [
        StaffClaimPublic.model_validate(
            {
                **_public_fields(claim, structure),
                "email": claim.email,
                "structure_siret": structure.siret,
                "structure_kind": structure.kind,
                "structure_city": structure.city,
                "structure_website": structure.website,
            }
        )
        for claim, structure in rows
    ]


def me(session: Session, principal: Principal) -> MePublic:
    repository = OwnershipRepository(session)
    return MePublic(
        structures=[
            ManagedStructure(
                id=structure.id or 0,
                name=structure.name,
                brand=structure.brand,
                kind=structure.kind,
                siret=structure.siret,
                city=structure.city,
                role=membership.role,
                since=membership.created_at,
            )
            for membership, structure in repository.structures_managed(principal.account_id)
        ],
        claims=[
            claim_public(session, claim)
            for claim in repository.claims(account_id=principal.account_id)
        ],
    )


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
