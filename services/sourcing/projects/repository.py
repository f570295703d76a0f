"""Every query the sourcing service runs on organisations, their members, projects and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import col, func, select

from services.common.db import SessionRepository
from services.sourcing.projects.models import (
    MemberRole,
    Organisation,
    OrganisationMember,
    Project,
    ProjectDecision,
    ProjectStatus,
)

# An organisation's list shows its most recent projects only.
LIST_LIMIT = 500


class OrganisationRepository(SessionRepository):
    def get(self, organisation_id: int) -> Organisation | None:
        return self.session.get(Organisation, organisation_id)

    def members(self, organisation_id: int | None) -> Sequence[OrganisationMember]:
        """Admins first, then in the order they were added."""
        return self.session.exec(
            select(OrganisationMember)
            .where(OrganisationMember.organisation_id == organisation_id)
            .order_by(col(OrganisationMember.role), col(OrganisationMember.id))
        ).all()

    def member(self, organisation_id: int, member_id: int) -> OrganisationMember | None:
        found = self.session.get(OrganisationMember, member_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    def member_by_email(self, organisation_id: int, email: str) -> OrganisationMember | None:
        return self.session.exec(
            select(OrganisationMember).where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.email == email,
            )
        ).first()

    def admin_count(self, organisation_id: int) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(OrganisationMember)
            .where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.role == MemberRole.ADMIN,
            )
        ).one()

    def memberships(self, account_id: str, email: str | None) -> Sequence[OrganisationMember]:
        """The account's memberships: bound to it, or added by its e-mail and not bound yet."""
        condition = col(OrganisationMember.account_id) == account_id
        if email:
            condition = or_(
                condition,
                col(OrganisationMember.account_id).is_(None)
                & (col(OrganisationMember.email) == email.lower()),
            )
        return self.session.exec(select(OrganisationMember).where(condition)).all()

    def of_accounts_siren(self, account_id: str, siren: str) -> Organisation | None:
        return self.session.exec(
            select(Organisation)
            .join(OrganisationMember, col(OrganisationMember.organisation_id) == Organisation.id)
            .where(OrganisationMember.account_id == account_id, Organisation.siren == siren)
        ).first()

    def by_ids(self, ids: Sequence[int]) -> Sequence[Organisation]:
        return self.session.exec(
            select(Organisation)
            .where(col(Organisation.id).in_(ids))
            .order_by(col(Organisation.name))
        ).all()

    def by_identifier(self, identifier: str) -> Sequence[Organisation]:
        """The organisations of a SIREN (9 digits) or of a SIRET (14)."""
        field = Organisation.siret if len(identifier) == 14 else Organisation.siren
        return self.session.exec(
            select(Organisation).where(field == identifier).order_by(col(Organisation.id))
        ).all()


class ProjectRepository(SessionRepository):
    def get(self, project_id: int) -> Project | None:
        return self.session.get(Project, project_id)

    def take_version(self, project_id: int, expected: int) -> bool:
        """Moves the project from `expected` to the next version, unless another writer did first."""
        statement = (
            update(Project)
            .where(col(Project.id) == project_id, col(Project.version) == expected)
            .values(version=expected + 1)
        )
        return bool(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def of_organisation(
        self,
        organisation_id: int,
        status: ProjectStatus | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Sequence[Project]:
        """Newest first."""
        statement = select(Project).where(Project.organisation_id == organisation_id)
        if status is not None:
            statement = statement.where(Project.status == status)
        if created_from is not None and created_before is not None:
            statement = statement.where(
                col(Project.created_at) >= created_from, col(Project.created_at) < created_before
            )
        return self.session.exec(statement.order_by(col(Project.id).desc()).limit(LIST_LIMIT)).all()

    def awarded(self, organisation_ids: Sequence[int] | None = None) -> Sequence[Project]:
        statement = select(Project).where(Project.status == ProjectStatus.AWARDED)
        if organisation_ids is not None:
            statement = statement.where(col(Project.organisation_id).in_(organisation_ids))
        return self.session.exec(statement.order_by(col(Project.id))).all()

    def decisions(self, project_id: int | None) -> Sequence[ProjectDecision]:
        """Newest first."""
        return self.session.exec(
            select(ProjectDecision)
            .where(ProjectDecision.project_id == project_id)
            .order_by(col(ProjectDecision.id).desc())
        ).all()

    def latest_decisions(self, project_ids: Sequence[int]) -> dict[int, ProjectDecision]:
        latest: dict[int, ProjectDecision] = {}
        if not project_ids:
            return latest
        for decision in self.session.exec(
            select(ProjectDecision)
            .where(col(ProjectDecision.project_id).in_(project_ids))
            .order_by(col(ProjectDecision.id))
        ):
            latest[decision.project_id] = decision
        return latest
