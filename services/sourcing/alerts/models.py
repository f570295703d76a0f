"""Saved searches, the structures each one has already shown its owner, and digests' state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.sourcing.tables import SourcingTable


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class SavedSearch(SourcingTable, table=True):
    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("owner_account_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_account_id: str = Field(max_length=64, index=True)
    # Where digests go: the owner's address when they last saved the search.
    owner_email: str | None = Field(default=None, max_length=254)
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100)
    # The search's parameters, checked and in a canonical form: {name: [values]}.
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    query: str = Field(max_length=4000)
    frequency: Frequency = Field(sa_type=text_enum(Frequency, 8), index=True)
    # Mixed into the unsubscribe token's signature, so that a token names this saved search
    # only, never a later one given the same id; the token itself is never stored.
    link_salt: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The baseline's time, then each digest's: the next one is due a period later.
    last_digest_at: datetime = Field(default_factory=utcnow)
    unsubscribed_at: datetime | None = None
    # Every change moves it on: a digest taken on an older version does not go.
    version: int = 1


def saved_search_reference() -> Any:
    return Field(
        sa_column=Column(
            Integer,
            ForeignKey("saved_search.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class SavedSearchStructure(SourcingTable, table=True):
    """A structure the saved search has accounted for: in the baseline (`reported_at` empty) or
    reported in a digest. One row per pair, written with the digest's mail: told once."""

    __tablename__ = "saved_search_structure"
    __table_args__ = (UniqueConstraint("saved_search_id", "structure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    saved_search_id: int = saved_search_reference()
    structure_id: int
    seen_at: datetime = Field(default_factory=utcnow)
    reported_at: datetime | None = None
