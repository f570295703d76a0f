"""Who may do what on a structure: its managers (admins, editors) and staff."""

from __future__ import annotations

from sqlmodel import Session

from services.catalog.ownership.models import MemberRole, Membership
from services.catalog.ownership.repository import OwnershipRepository
from services.common.errors import Forbidden
from services.common.identity import Principal

_RANK = {MemberRole.EDITOR: 1, MemberRole.ADMIN: 2}


def membership_of(session: Session, structure_id: int, account_id: str) -> Membership | None:
    return OwnershipRepository(session).membership(structure_id, account_id)


def require_manager(
    session: Session,
    principal: Principal,
    structure_id: int,
    minimum: MemberRole = MemberRole.EDITOR,
) -> Membership | None:
    """Staff pass; otherwise the caller must manage the structure with at least `minimum`."""
    if principal.is_staff:
        return None
    membership = membership_of(session, structure_id, principal.account_id)
    if membership is None:
        raise Forbidden("Vous ne gérez pas cette structure.")
    if _RANK[MemberRole(membership.role)] < _RANK[minimum]:
        raise Forbidden("Cette action est réservée aux administrateurs de la structure.")
    return membership


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Cette action est réservée à l'équipe de la plateforme.")
