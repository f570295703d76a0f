"""Buyers' needs (dépôts de besoin), the structures they matched, and the answers they got."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.sourcing.tables import SourcingTable


class NeedKind(StrEnum):
    TENDER = "appel_offres"
    QUOTE = "demande_devis"
    PROJECT = "projet_achat"


class NeedStatus(StrEnum):
    DRAFT = "draft"
    MODERATION = "moderation"
    PUBLISHED = "published"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AnswerStatus(StrEnum):
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    GROUPEMENT = "groupement"


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def need_reference() -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("need.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class Need(SourcingTable, table=True):
    id: int | None = Field(default=None, primary_key=True)
    buyer_account_id: str = Field(max_length=64, index=True)
    buyer_email: str | None = Field(default=None, max_length=254)
    kind: NeedKind = Field(sa_type=text_enum(NeedKind, 16))
    title: str = Field(max_length=200)
    description: str = Field(max_length=10_000)
    sectors: list[str] = _json_list()
    cpv_codes: list[str] = _json_list()
    place_level: str | None = Field(default=None, max_length=16)  # commune | departement | region
    place_code: str | None = Field(default=None, max_length=5)
    presta_types: list[str] = _json_list()
    kinds: list[str] = _json_list()  # allowed kinds; empty: all
    reservation: str | None = Field(default=None, max_length=24)  # L2113-12 | L2113-13 | both
    amount_min_eur: int | None = None
    amount_max_eur: int | None = None
    deadline: date | None = None
    questions: list[str] = _json_list()
    # A partner's own id for this need: posting it again updates the need.
    external_ref: str | None = Field(default=None, max_length=100, index=True)
    # What a partner sent that the need has no field for (contacts, constraints, links…).
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: NeedStatus = Field(sa_type=text_enum(NeedStatus, 16), index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    # Why staff sent it back to draft, shown to the buyer until it is validated.
    moderation_reason: str | None = Field(default=None, max_length=2000)
    # The purchase project the need was deposited from, if any.
    project_id: int | None = Field(default=None, index=True)


class NeedMatch(SourcingTable, table=True):
    __tablename__ = "need_match"
    __table_args__ = (UniqueConstraint("need_id", "structure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = need_reference()
    structure_id: int = Field(index=True)
    structure_name: str = Field(max_length=255)
    score: float
    reasons: list[dict[str, Any]] = _json_list()
    matched_at: datetime = Field(default_factory=utcnow)
    notified_at: datetime | None = None
    opened_at: datetime | None = None
    reminders: int = 0
    last_reminder_at: datetime | None = None


class NeedAnswer(SourcingTable, table=True):
    __tablename__ = "need_answer"
    __table_args__ = (UniqueConstraint("need_id", "structure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = need_reference()
    structure_id: int = Field(index=True)
    status: AnswerStatus = Field(sa_type=text_enum(AnswerStatus, 16))
    reason: str | None = Field(default=None, max_length=1000)
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    contact_email: str | None = Field(default=None, max_length=254)
    answered_at: datetime = Field(default_factory=utcnow)
