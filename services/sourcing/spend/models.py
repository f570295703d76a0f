"""The tables of an organisation's supplier spend: the files it uploads, each import of a year
(one active per organisation and year, the earlier ones kept as history), the refused rows, the
accepted lines, the suppliers aggregated and matched to the catalog, and what the buyer decided
about matches, categories and sites."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.sourcing.tables import SourcingTable


class SpendFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class UploadStatus(StrEnum):
    RUNNING = "running"
    ACTIVE = "active"
    REPLACED = "replaced"
    FAILED = "failed"


class MatchKind(StrEnum):
    SIRET = "siret"
    SIREN = "siren"
    CONFIRMED = "confirmed"
    SUGGESTED = "suggested"
    NONE = "none"


# The matches that make a supplier inclusive (a suggestion does not until confirmed).
INCLUSIVE_MATCHES = (MatchKind.SIRET, MatchKind.SIREN, MatchKind.CONFIRMED)


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def _parent(table: str, index: bool = True) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=index
        )
    )


def _cents(default: int | None = None) -> Any:
    return Field(default=default, sa_column=Column(BigInteger, nullable=False))


class SpendFile(SourcingTable, table=True):
    __tablename__ = "spend_file"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _parent("organisation")
    name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    format: SpendFormat = Field(sa_type=text_enum(SpendFormat, 8))
    size_bytes: int = _cents()
    # Relative to the sourcing data directory, which no web root serves.
    stored_path: str = Field(max_length=500)
    encoding: str | None = Field(default=None, max_length=32)
    delimiter: str | None = Field(default=None, max_length=1)
    columns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow)


class SpendUpload(SourcingTable, table=True):
    __tablename__ = "spend_upload"
    __table_args__ = (
        Index("ix_spend_upload_organisation_year_status", "organisation_id", "year", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _parent("organisation", index=False)
    file_id: int = _parent("spend_file")
    year: int
    status: UploadStatus = Field(sa_type=text_enum(UploadStatus, 8))
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    total_cents: int = _cents(0)
    started_by: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    replaced_at: datetime | None = None
    error: str | None = Field(default=None, max_length=500)


class SpendRejection(SourcingTable, table=True):
    __tablename__ = "spend_rejection"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = _parent("spend_upload")
    line: int
    column: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=300)
    value: str | None = Field(default=None, max_length=200)


class SpendLine(SourcingTable, table=True):
    __tablename__ = "spend_line"
    # Leading with upload_id, this index also serves the lookups of an upload's lines.
    __table_args__ = (Index("ix_spend_line_upload_supplier", "upload_id", "supplier_key"),)

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = _parent("spend_upload", index=False)
    line: int
    # The SIRET, else "siren:<siren>", else "nom:<folded name>|<postcode or ''>".
    supplier_key: str = Field(max_length=80)
    siret: str | None = Field(default=None, max_length=14)
    siren: str | None = Field(default=None, max_length=9)
    supplier_name: str = Field(default="", max_length=255)
    postcode: str | None = Field(default=None, max_length=5)
    # Excluding VAT; negative for credit notes.
    amount_cents: int = _cents()
    category: str = Field(default="", max_length=200)
    buying_entity: str = Field(default="", max_length=200)
    spend_date: date | None = None
    site_postcode: str | None = Field(default=None, max_length=5)


class SpendSupplier(SourcingTable, table=True):
    __tablename__ = "spend_supplier"
    __table_args__ = (UniqueConstraint("upload_id", "supplier_key"),)

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = _parent("spend_upload", index=False)
    supplier_key: str = Field(max_length=80)
    siret: str | None = Field(default=None, max_length=14)
    siren: str | None = Field(default=None, max_length=9)
    name: str = Field(default="", max_length=255)
    postcode: str | None = Field(default=None, max_length=5)
    lines: int = 0
    amount_cents: int = _cents(0)
    match: MatchKind = Field(sa_type=text_enum(MatchKind, 16))
    # Set for siret, siren and confirmed matches only: those count as inclusive.
    structure_id: int | None = None
    suggested_structure_id: int | None = None
    # The matched structure as it was at match time, so that figures do not move with the catalog.
    structure_name: str | None = Field(default=None, max_length=255)
    structure_siret: str | None = Field(default=None, max_length=14)
    kind: str | None = Field(default=None, max_length=8)
    family: str | None = Field(default=None, max_length=16)
    region_code: str | None = Field(default=None, max_length=3)
    department_code: str | None = Field(default=None, max_length=3)
    is_qpv: bool | None = None
    is_zrr: bool | None = None
    structure_postcode: str | None = Field(default=None, max_length=5)


class SpendChoice(SourcingTable, table=True):
    __tablename__ = "spend_choice"
    __table_args__ = (UniqueConstraint("organisation_id", "supplier_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _parent("organisation", index=False)
    supplier_key: str = Field(max_length=80)
    decision: Decision = Field(sa_type=text_enum(Decision, 16))
    structure_id: int | None = None
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(default_factory=utcnow)


class SpendCategory(SourcingTable, table=True):
    __tablename__ = "spend_category"
    __table_args__ = (UniqueConstraint("organisation_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _parent("organisation", index=False)
    label: str = Field(max_length=200)
    sector_slug: str | None = Field(default=None, max_length=128)


class SpendSite(SourcingTable, table=True):
    __tablename__ = "spend_site"
    __table_args__ = (UniqueConstraint("organisation_id", "department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _parent("organisation", index=False)
    department_code: str = Field(max_length=3)
