"""Every query of the OETH deduction and the suppliers' attestations, including what they read
of the organisations' active spend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as columns
from sqlmodel import col, select

from services.common.db import SessionRepository
from services.domain.kinds import HANDICAP_KINDS
from services.sourcing.oeth.models import Attestation, AttestationStatus, OethDeclaration, TihMark
from services.sourcing.projects.models import Organisation
from services.sourcing.spend.models import (
    INCLUSIVE_MATCHES,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)

# An attestation lists at most this many per structure and year: a page, never the table.
LIST_LIMIT = 1000


@dataclass(frozen=True)
class Client:
    """An organisation whose active spend of a year matched a structure: its total there."""

    organisation_id: int
    siren: str
    name: str
    lines: int
    amount_cents: int


class OethRepository(SessionRepository):
    def declaration(self, organisation_id: int, year: int) -> OethDeclaration | None:
        return self.session.exec(
            select(OethDeclaration).where(
                OethDeclaration.organisation_id == organisation_id, OethDeclaration.year == year
            )
        ).first()

    def tih_keys(self, organisation_id: int) -> set[str]:
        return set(
            self.session.exec(
                select(TihMark.supplier_key).where(TihMark.organisation_id == organisation_id)
            ).all()
        )

    def tih_mark(self, organisation_id: int, supplier_key: str) -> TihMark | None:
        return self.session.exec(
            select(TihMark).where(
                TihMark.organisation_id == organisation_id, TihMark.supplier_key == supplier_key
            )
        ).first()

    def active_upload(self, organisation_id: int, year: int) -> SpendUpload | None:
        return self.session.exec(
            select(SpendUpload).where(
                SpendUpload.organisation_id == organisation_id,
                SpendUpload.year == year,
                SpendUpload.status == UploadStatus.ACTIVE,
            )
        ).first()

    def supplier(self, upload_id: int, supplier_key: str) -> SpendSupplier | None:
        return self.session.exec(
            select(SpendSupplier).where(
                SpendSupplier.upload_id == upload_id, SpendSupplier.supplier_key == supplier_key
            )
        ).first()

    def deduction_suppliers(self, upload_id: int, tih_keys: set[str]) -> Sequence[SpendSupplier]:
        """The suppliers of an upload that open the deduction: matched to an EA, EATT or ESAT,
        or marked TIH by the buyer; by amount, largest first."""
        handicap = (col(SpendSupplier.match).in_(INCLUSIVE_MATCHES)) & (
            col(SpendSupplier.kind).in_([str(k) for k in HANDICAP_KINDS])
        )
        condition = (
            handicap | col(SpendSupplier.supplier_key).in_(tih_keys) if tih_keys else handicap
        )
        return self.session.exec(
            select(SpendSupplier)
            .where(SpendSupplier.upload_id == upload_id, condition)
            .order_by(col(SpendSupplier.amount_cents).desc(), col(SpendSupplier.id))
        ).all()

    def received(self, organisation: Organisation, year: int) -> Sequence[Attestation]:
        """The attestations in force issued to an organisation for a year."""
        return self.session.exec(
            select(Attestation)
            .where(
                self._addressed_to(organisation),
                Attestation.year == year,
                Attestation.status == AttestationStatus.ISSUED,
            )
            .order_by(col(Attestation.id))
        ).all()

    def received_all(self, organisation: Organisation, year: int | None) -> Sequence[Attestation]:
        """Every version issued to an organisation (a year's, or all), newest first."""
        query = select(Attestation).where(self._addressed_to(organisation))
        if year is not None:
            query = query.where(Attestation.year == year)
        return self.session.exec(query.order_by(col(Attestation.id).desc()).limit(LIST_LIMIT)).all()

    def addressed_to(self, attestation: Attestation, organisation: Organisation) -> bool:
        return (
            self.session.exec(
                select(Attestation.id).where(
                    Attestation.id == attestation.id, self._addressed_to(organisation)
                )
            ).first()
            is not None
        )

    @staticmethod
    def _addressed_to(organisation: Organisation) -> Any:
        """An attestation names its client by SIREN, which no one verifies when an organisation
        is created: an organisation reads one only when its own active spend of that year
        matched the issuing structure, so that claiming a SIREN alone reveals nothing."""
        supplied = (
            select(SpendSupplier.id)
            .join(SpendUpload, col(SpendUpload.id) == col(SpendSupplier.upload_id))
            .where(
                SpendUpload.organisation_id == organisation.id,
                SpendUpload.status == UploadStatus.ACTIVE,
                col(SpendUpload.year) == col(Attestation.year),
                col(SpendSupplier.structure_id) == col(Attestation.structure_id),
                col(SpendSupplier.match).in_(INCLUSIVE_MATCHES),
            )
            .exists()
        )
        return (col(Attestation.client_siren) == organisation.siren) & supplied

    def attestation(self, attestation_id: int) -> Attestation | None:
        return self.session.get(Attestation, attestation_id)

    def issued(self, structure_id: int, year: int | None) -> Sequence[Attestation]:
        """A structure's attestations, every version, newest first."""
        query = select(Attestation).where(Attestation.structure_id == structure_id)
        if year is not None:
            query = query.where(Attestation.year == year)
        return self.session.exec(query.order_by(col(Attestation.id).desc()).limit(LIST_LIMIT)).all()

    def series_count(self, structure_id: int, year: int) -> int:
        """How many attestations (first versions) a structure issued for a year."""
        return int(
            self.session.exec(
                select(func.count())
                .select_from(Attestation)
                .where(
                    Attestation.structure_id == structure_id,
                    Attestation.year == year,
                    Attestation.version == 1,
                )
            ).one()
        )

    def clients(self, structure_id: int, year: int) -> list[Client]:
        """The organisations whose active spend of `year` matched the structure, with their
        totals on the lines of that structure only."""
        # Five columns: SQLAlchemy's select, whose typing is not capped at four like SQLModel's.
        rows = self.session.execute(
            columns(
                col(Organisation.id),
                col(Organisation.siren),
                col(Organisation.name),
                func.sum(SpendSupplier.lines),
                func.sum(SpendSupplier.amount_cents),
            )
            .join(SpendUpload, col(SpendUpload.id) == col(SpendSupplier.upload_id))
            .join(Organisation, col(Organisation.id) == col(SpendUpload.organisation_id))
            .where(
                col(SpendSupplier.structure_id) == structure_id,
                col(SpendSupplier.match).in_(INCLUSIVE_MATCHES),
                col(SpendUpload.year) == year,
                col(SpendUpload.status) == UploadStatus.ACTIVE,
            )
            .group_by(col(Organisation.id), col(Organisation.siren), col(Organisation.name))
            .order_by(func.sum(SpendSupplier.amount_cents).desc(), col(Organisation.id))
        ).all()
        return [
            Client(int(oid or 0), siren, name, int(lines or 0), int(amount or 0))
            for oid, siren, name, lines, amount in rows
        ]
