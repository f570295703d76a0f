"""What the spend API reads and answers: files, imports, their rejections and the matched suppliers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.sourcing.spend.models import MatchKind, SpendFormat, UploadStatus

SpendYear = Field(ge=2000, le=2100, description="Année des dépenses")


class FileView(BaseModel):
    id: int
    name: str
    format: SpendFormat
    encoding: str | None
    delimiter: str | None
    size_bytes: int
    sha256: str
    columns: list[str]
    preview: list[list[str]]
    suggested_mapping: dict[str, str]
    uploaded_at: datetime


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: int = Field(ge=1, le=2**31 - 1)
    year: int = SpendYear
    # field → the file's column holding it (see the mapping's fields in the API's description).
    mapping: dict[str, str]


class UploadFile(BaseModel):
    id: int
    name: str
    format: SpendFormat


class RejectionView(BaseModel):
    line: int
    column: str | None
    reason: str
    value: str | None


class UploadView(BaseModel):
    id: int
    organisation_id: int
    year: int
    status: UploadStatus
    file: UploadFile
    mapping: dict[str, str]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    total_eur: float
    started_at: datetime
    # Who started it: their account, and their address while they are a member of the
    # organisation (the members already read each other's addresses on its page).
    started_by: str
    started_by_email: str | None
    finished_at: datetime | None
    replaced_at: datetime | None
    error: str | None
    rejections: list[RejectionView]
    matches: dict[str, int]


class UploadList(BaseModel):
    items: list[UploadView]


class SupplierStructure(BaseModel):
    id: int
    name: str | None
    siret: str | None
    kind: str | None
    family: str | None
    region_code: str | None
    department_code: str | None
    is_qpv: bool | None
    is_zrr: bool | None


class SupplierSuggestion(BaseModel):
    id: int
    name: str | None
    siret: str | None
    postcode: str | None
    kind: str | None


class SupplierItem(BaseModel):
    key: str
    siret: str | None
    siren: str | None
    name: str
    postcode: str | None
    lines: int
    amount_eur: float
    match: MatchKind
    structure: SupplierStructure | None
    suggestion: SupplierSuggestion | None


class SupplierPage(BaseModel):
    year: int
    upload_id: int
    items: list[SupplierItem]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


class DecisionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = SpendYear
    key: str = Field(min_length=1, max_length=80)
    decision: Literal["confirm", "reject"]
    structure_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
