"""What the OETH deduction keeps: an organisation's yearly declaration, the suppliers it marked
as disabled self-employed workers (TIH), and the attestations EA and ESAT issue their clients."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.sourcing.tables import SourcingTable


class AttestationStatus(StrEnum):
    ISSUED = "issued"
    REPLACED = "replaced"


def _organisation() -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


def _cents(nullable: bool = False) -> Any:
    return Field(default=None if nullable else 0, sa_column=Column(BigInteger, nullable=nullable))


class OethDeclaration(SourcingTable, table=True):
    """What the buyer declares for a year. Counts and shares are kept as integers of
    hundredths (headcount 123,45 → 12345; rate 2,5 % → 250; labour share 60 % → 6000 of 10 000)
    so that the figures come back exactly as typed."""

    __tablename__ = "oeth_declaration"
    __table_args__ = (UniqueConstraint("organisation_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _organisation()
    year: int
    headcount_hundredths: int
    beneficiaries_hundredths: int | None = None
    rate_hundredths: int | None = None
    gross_contribution_cents: int | None = _cents(nullable=True)
    labour_share_basis_points: int
    version: int = 1
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class TihMark(SourcingTable, table=True):
    """A supplier of the organisation's spend that it knows to be a disabled self-employed
    worker: its purchases then open the deduction too."""

    __tablename__ = "oeth_tih_mark"
    __table_args__ = (UniqueConstraint("organisation_id", "supplier_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _organisation()
    supplier_key: str = Field(max_length=80)
    marked_by: str = Field(max_length=64)
    marked_at: datetime = Field(default_factory=utcnow)


class Attestation(SourcingTable, table=True):
    """A supplier's yearly attestation to one client. A reissue is a new row with the next
    version that `replaces` the previous one, which turns `replaced`: nothing is overwritten."""

    __tablename__ = "oeth_attestation"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)
    # The first version's id: every version of one attestation shares it.
    series: int | None = Field(default=None, index=True)
    version: int = 1
    status: AttestationStatus = Field(sa_type=text_enum(AttestationStatus, 8), index=True)
    structure_id: int = Field(index=True)
    # The structure as the catalog described it when the attestation was issued.
    structure: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    year: int
    client_siren: str = Field(max_length=9, index=True)
    client_name: str = Field(max_length=200)
    client_address: str = Field(default="", max_length=300)
    contracts: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    amount_cents: int = _cents()
    labour_cost_cents: int = _cents()
    deductible_cents: int = _cents()
    issued_by: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    replaces: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("oeth_attestation.id", ondelete="SET NULL"), nullable=True
        ),
    )
