"""Every query the sourcing service runs on organisations, their members, projects and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import or_, update
from sqlmodel import col, select

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

    def member_by_account(self, organisation_id: int, account_id: str) -> OrganisationMember | None:
        return self.session.exec(
            select(OrganisationMember).where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.account_id == account_id,
            )
        ).first()

    def admin_count(self, organisation_id: int) -> int:
        """Its admins, counted with their rows locked (PostgreSQL): two admins removing each
        other at once never leave the organisation without one."""
        return len(
            self.session.exec(
                select(OrganisationMember.id)
                .where(
                    OrganisationMember.organisation_id == organisation_id,
                    OrganisationMember.role == MemberRole.ADMIN,
                )
                .with_for_update()
            ).all()
        )

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
        """The organisations of a SIREN (9 digits), or of a SIRET (14) with those known by its
        SIREN alone."""
        if len(identifier) == 14:
            condition = or_(
                col(Organisation.siret) == identifier,
                (col(Organisation.siren) == identifier[:9]) & col(Organisation.siret).is_(None),
            )
        else:
            condition = col(Organisation.siren) == identifier
        return self.session.exec(
            select(Organisation).where(condition).order_by(col(Organisation.id))
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
        year: int | None = None,
        limit: int | None = LIST_LIMIT,
    ) -> Sequence[Project]:
        """Newest first; a year is the award's, else the creation's."""
        statement = select(Project).where(Project.organisation_id == organisation_id)
        if status is not None:
            statement = statement.where(Project.status == status)
        if year is not None:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
            created = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
            statement = statement.where(
                or_(
                    (col(Project.awarded_on) >= start) & (col(Project.awarded_on) < end),
                    col(Project.awarded_on).is_(None)
                    & (col(Project.created_at) >= created[0])
                    & (col(Project.created_at) < created[1]),
                )
            )
        statement = statement.order_by(col(Project.id).desc())
        if limit is not None:
            statement = statement.limit(limit)
        return self.session.exec(statement).all()

    def awarded(
        self, organisation_ids: Sequence[int] | None = None, year: int | None = None
    ) -> Sequence[Project]:
        statement = select(Project).where(Project.status == ProjectStatus.AWARDED)
        if organisation_ids is not None:
            statement = statement.where(col(Project.organisation_id).in_(organisation_ids))
        if year is not None:
            statement = statement.where(
                col(Project.awarded_on) >= date(year, 1, 1),
                col(Project.awarded_on) <= date(year, 12, 31),
            )
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
