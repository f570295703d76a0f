"""Every query the catalog runs on claims and memberships."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from services.catalog.ownership.models import (
    Claim,
    ClaimKind,
    ClaimStatus,
    MemberRole,
    Membership,
)
from services.catalog.structures.models import Structure

CLAIMS_LISTED = 200


class OwnershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def membership(self, structure_id: int, account_id: str) -> Membership | None:
        return self.session.exec(
            select(Membership).where(
                Membership.structure_id == structure_id, Membership.account_id == account_id
            )
        ).first()

    def members(self, structure_id: int) -> list[Membership]:
        return list(
            self.session.exec(
                select(Membership)
                .where(Membership.structure_id == structure_id)
                .order_by(col(Membership.id))
            )
        )

    def admins(self, structure_id: int) -> list[Membership]:
        return list(
            self.session.exec(
                select(Membership).where(
                    Membership.structure_id == structure_id, Membership.role == MemberRole.ADMIN
                )
            )
        )

    def member_count(self, structure_id: int) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(Membership)
            .where(Membership.structure_id == structure_id)
        ).one()

    def managed_among(self, structure_ids: list[int]) -> set[int]:
        """Which of these structures have at least one manager."""
        return set(
            self.session.exec(
                select(Membership.structure_id)
                .where(col(Membership.structure_id).in_(structure_ids))
                .distinct()
            )
        )

    def latest_claims(self, account_id: str, structure_ids: list[int]) -> dict[int, Claim]:
        """The account's latest claim on each of these structures."""
        latest: dict[int, Claim] = {}
        for claim in self.session.exec(
            select(Claim)
            .where(Claim.account_id == account_id, col(Claim.structure_id).in_(structure_ids))
            .order_by(col(Claim.id))
        ):
            latest[claim.structure_id] = claim
        return latest

    def memberships_of(self, account_id: str, structure_ids: list[int]) -> set[int]:
        return set(
            self.session.exec(
                select(Membership.structure_id).where(
                    Membership.account_id == account_id,
                    col(Membership.structure_id).in_(structure_ids),
                )
            )
        )

    def claim(self, claim_id: int) -> Claim | None:
        return self.session.get(Claim, claim_id)

    def pending_claim(self, structure_id: int, account_id: str) -> Claim | None:
        return self.session.exec(
            select(Claim).where(
                Claim.structure_id == structure_id,
                Claim.account_id == account_id,
                Claim.status == ClaimStatus.PENDING,
            )
        ).first()

    def claims(
        self, *, account_id: str | None = None, structure_id: int | None = None
    ) -> list[Claim]:
        """The latest claims of an account, or of a structure."""
        statement = select(Claim).order_by(col(Claim.id).desc())
        if account_id is not None:
            statement = statement.where(Claim.account_id == account_id)
        if structure_id is not None:
            statement = statement.where(Claim.structure_id == structure_id)
        return list(self.session.exec(statement.limit(CLAIMS_LISTED)))

    def structures_managed(self, account_id: str) -> list[tuple[Membership, Structure]]:
        return [
            (membership, structure)
            for membership, structure in self.session.exec(
                select(Membership, Structure)
                .join(Structure, col(Structure.id) == col(Membership.structure_id))
                .where(Membership.account_id == account_id)
                .order_by(col(Structure.name), col(Structure.id))
            )
        ]

    def staff_queue(self, offset: int, limit: int) -> tuple[int, list[tuple[Claim, Structure]]]:
        """Pending claims that the staff decide, oldest first, with their structures."""
        waiting = (Claim.kind == ClaimKind.STAFF_REVIEW, Claim.status == ClaimStatus.PENDING)
        total = self.session.exec(select(func.count()).select_from(Claim).where(*waiting)).one()
        rows = self.session.exec(
            select(Claim, Structure)
            .join(Structure, col(Structure.id) == col(Claim.structure_id))
            .where(*waiting)
            .order_by(col(Claim.created_at), col(Claim.id))
            .offset(offset)
            .limit(limit)
        )
        return total, [(claim, structure) for claim, structure in rows]

    def count_failed_attempt(self, claim_id: int) -> None:
        """Counted in its own transaction: the request's one is rolled back by the error."""
        with Session(self.session.get_bind()) as counter:
            counter.execute(
                update(Claim).where(col(Claim.id) == claim_id).values(attempts=Claim.attempts + 1)
            )
            counter.commit()
