"""Buyers' organisations, their members, their purchase projects and the decisions recorded on them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.sourcing.projects.vocabulary import BuyerKind, ContractKind, Procedure
from services.sourcing.tables import SourcingTable


class MemberRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    DECIDED = "decided"
    AWARDED = "awarded"


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


def _reference(table: str) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class Organisation(SourcingTable, table=True):
    # An account creates one organisation per SIREN, even with two requests at once.
    __table_args__ = (UniqueConstraint("created_by", "siren"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    siren: str = Field(max_length=9, index=True)
    siret: str | None = Field(default=None, max_length=14)
    buyer_kind: BuyerKind = Field(sa_type=text_enum(BuyerKind, 24))
    # Insertion hours from which the organisation expects a social consideration.
    hours_threshold: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class OrganisationMember(SourcingTable, table=True):
    __tablename__ = "organisation_member"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _reference("organisation")
    # Lower-cased; the account is bound on its first request after being added.
    email: str | None = Field(default=None, max_length=254)
    account_id: str | None = Field(default=None, max_length=64, index=True)
    role: MemberRole = Field(sa_type=text_enum(MemberRole, 8))
    added_at: datetime = Field(default_factory=utcnow)


class Project(SourcingTable, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _reference("organisation")
    title: str = Field(max_length=200)
    object: str = Field(default="", max_length=5000)
    cpv: list[str] = _json(list)
    sectors: list[str] = _json(list)
    place_level: str = Field(max_length=16)
    place_code: str = Field(max_length=5)
    contract_kind: ContractKind = Field(sa_type=text_enum(ContractKind, 16))
    estimated_amount_eur: float
    duration_months: int
    procedure: Procedure = Field(sa_type=text_enum(Procedure, 32))
    lots: list[dict[str, Any]] = _json(list)
    hours_parameters: dict[str, float] = _json(dict)
    status: ProjectStatus = Field(sa_type=text_enum(ProjectStatus, 16), index=True)
    version: int = 1
    # The evaluation as computed on its date, kept so that the note shows the figures as of then.
    evaluation: dict[str, Any] = _json(dict)
    social_consideration_expected: bool = False
    need_id: int | None = None
    created_by: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    awarded_on: date | None = None


class ProjectDecision(SourcingTable, table=True):
    __tablename__ = "project_decision"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = _reference("project")
    options: list[dict[str, Any]] = _json(list)
    summary: str = Field(max_length=1000)
    justification_reason: str | None = Field(default=None, max_length=64)
    justification_text: str | None = Field(default=None, max_length=5000)
    warnings: list[str] = _json(list)
    decided_at: datetime = Field(default_factory=utcnow)
    decided_by: str = Field(max_length=254)
