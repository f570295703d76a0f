"""Every query the catalog runs on invitations."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from services.catalog.invitations.models import Invitation


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, invitation_id: int) -> Invitation | None:
        return self.session.get(Invitation, invitation_id)

    def by_token_hash(self, token_hash: str) -> Invitation | None:
        return self.session.exec(
            select(Invitation).where(Invitation.token_hash == token_hash)
        ).first()

    def pending(
        self, structure_id: int, now: datetime, email: str | None = None
    ) -> list[Invitation]:
        """Neither accepted, revoked nor expired, newest first."""
        statement = select(Invitation).where(
            Invitation.structure_id == structure_id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        if email is not None:
            statement = statement.where(func.lower(Invitation.email) == email.lower())
        return list(self.session.exec(statement.order_by(col(Invitation.id).desc())))
