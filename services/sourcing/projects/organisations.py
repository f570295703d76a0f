"""The rules of buyers' organisations: who may create one, who belongs, who administers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.errors import Conflict, Forbidden, InvalidParameter, NotFound
from services.common.identity import Principal, Role
from services.common.mail import queue_mail
from services.sourcing.projects.models import MemberRole, Organisation, OrganisationMember
from services.sourcing.projects.repository import OrganisationRepository
from services.sourcing.projects.schemas import (
    MemberCreate,
    MemberPublic,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
)
from services.sourcing.projects.vocabulary import BUYER_KIND_LABELS

BUYERS = {Role.PUBLIC_BUYER, Role.PRIVATE_BUYER, Role.STAFF}


@dataclass(frozen=True)
class Access:
    """An organisation as the caller reaches it: its role there, None for staff who are not members."""

    organisation: Organisation
    role: MemberRole | None

    @property
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN


def _email(principal: Principal) -> str | None:
    return principal.email.strip().lower() if principal.email else None


def memberships(session: Session, principal: Principal) -> dict[int, MemberRole]:
    """The caller's organisations and its role in each. Memberships added by its e-mail are
    bound to its account here, on its first request after being added."""
    rows = OrganisationRepository(session).memberships(principal.account_id, _email(principal))
    roles = {}
    for member in rows:
        if member.account_id is None:
            member.account_id = principal.account_id
            session.add(member)
        roles[member.organisation_id] = member.role
    session.flush()
    return roles


def reach(session: Session, principal: Principal, organisation_id: int, write: bool) -> Access:
    """The organisation when the caller belongs to it (staff read them all); 404 unknown, 403 else."""
    organisation = OrganisationRepository(session).get(organisation_id)
    if organisation is None:
        raise NotFound(f"Organisation {organisation_id} introuvable.")
    role = memberships(session, principal).get(organisation_id)
    if role is None and not (principal.is_staff and not write):
        raise Forbidden("Vous n'êtes pas membre de cette organisation.")
    return Access(organisation, role)


def administered(session: Session, principal: Principal, organisation_id: int) -> Access:
    access = reach(session, principal, organisation_id, write=True)
    if not access.is_admin:
        raise Forbidden("Seuls les administrateurs de l'organisation peuvent faire cela.")
    return access


def to_public(session: Session, access: Access) -> OrganisationPublic:
    organisation = access.organisation
    assert organisation.id is not None
    members = OrganisationRepository(session).members(organisation.id)
    return OrganisationPublic(
        id=organisation.id,
        name=organisation.name,
        siren=organisation.siren,
        siret=organisation.siret,
        buyer_kind=organisation.buyer_kind,
        buyer_kind_label=BUYER_KIND_LABELS[organisation.buyer_kind],
        hours_threshold=organisation.hours_threshold,
        members=[
            MemberPublic(id=m.id or 0, email=m.email, role=m.role, added_at=m.added_at)
            for m in members
        ],
        my_role=access.role,
        created_at=organisation.created_at,
    )


def create(session: Session, principal: Principal, payload: OrganisationCreate) -> Access:
    if principal.role not in BUYERS:
        raise Forbidden("Seuls les acheteurs créent une organisation.")
    assert payload.siren is not None
    organisations = OrganisationRepository(session)
    memberships(session, principal)
    if organisations.of_accounts_siren(principal.account_id, payload.siren) is not None:
        raise Conflict(
            f"Vous appartenez déjà à une organisation de SIREN {payload.siren}.", field="siren"
        )
    organisation = Organisation(
        name=payload.name,
        siren=payload.siren,
        siret=payload.siret,
        buyer_kind=payload.buyer_kind,
        hours_threshold=payload.hours_threshold,
        created_by=principal.account_id,
    )
    try:
        organisations.save(organisation)
    except IntegrityError as exc:  # the same account, the same SIREN, in another request
        raise Conflict(
            f"Vous avez déjà créé une organisation de SIREN {payload.siren}.", field="siren"
        ) from exc
    assert organisation.id is not None
    organisations.save(
        OrganisationMember(
            organisation_id=organisation.id,
            email=_email(principal),
            account_id=principal.account_id,
            role=MemberRole.ADMIN,
        )
    )
    return Access(organisation, MemberRole.ADMIN)


def mine(session: Session, principal: Principal) -> list[Access]:
    roles = memberships(session, principal)
    return [
        Access(o, roles[o.id or 0]) for o in OrganisationRepository(session).by_ids(list(roles))
    ]


def update(
    session: Session, principal: Principal, organisation_id: int, payload: OrganisationUpdate
) -> Access:
    access = administered(session, principal, organisation_id)
    changes = payload.model_dump(exclude_unset=True)
    for name in ("name", "buyer_kind"):
        if name in changes and changes[name] is None:
            raise InvalidParameter(name, "ne peut pas être vide (null)", "body")
    for name in changes:
        setattr(access.organisation, name, getattr(payload, name))
    OrganisationRepository(session).save(access.organisation)
    return access


def add_member(
    session: Session,
    principal: Principal,
    organisation_id: int,
    payload: MemberCreate,
    website: str,
) -> Access:
    access = administered(session, principal, organisation_id)
    organisations = OrganisationRepository(session)
    email = payload.email.strip().lower()
    if organisations.member_by_email(organisation_id, email) is not None:
        raise Conflict(f"{email} est déjà membre de l'organisation.", field="email")
    try:
        organisations.save(
            OrganisationMember(organisation_id=organisation_id, email=email, role=payload.role)
        )
    except IntegrityError as exc:
        raise Conflict(f"{email} est déjà membre de l'organisation.", field="email") from exc
    role = "administrateur" if payload.role == MemberRole.ADMIN else "membre"
    queue_mail(
        session,
        email,
        f"Vous êtes {role} de {access.organisation.name} sur Marché inclusif"[:200],
        (
            f"Bonjour,\n\n{principal.email or 'Un administrateur'} vous a ajouté(e) comme {role} "
            f"de l'organisation « {access.organisation.name} » (SIREN {access.organisation.siren}) "
            "sur Marché inclusif.\n\nConnectez-vous avec cette adresse pour voir l'organisation "
            f"et ses projets d'achat : {website}/organisation/{organisation_id}\n"
        ),
    )
    return access


def remove_member(
    session: Session, principal: Principal, organisation_id: int, member_id: int
) -> None:
    administered(session, principal, organisation_id)
    organisations = OrganisationRepository(session)
    member = organisations.member(organisation_id, member_id)
    if member is None:
        raise NotFound(f"Membre {member_id} introuvable dans cette organisation.")
    if member.role == MemberRole.ADMIN and organisations.admin_count(organisation_id) <= 1:
        raise Conflict("C'est le dernier administrateur : nommez-en un autre avant de le retirer.")
    organisations.delete(member)
