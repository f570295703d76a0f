"""Buyers' named lists of favourite structures, each structure kept with what it was when added."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import utcnow
from services.sourcing.tables import SourcingTable


class FavouriteList(SourcingTable, table=True):
    __tablename__ = "favourite_list"
    # Unique per owner, whatever the case and spacing: "Nettoyage 93" and "nettoyage  93" clash.
    __table_args__ = (UniqueConstraint("owner_account_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_account_id: str = Field(max_length=64, index=True)
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def list_reference() -> Any:
    return Field(
        sa_column=Column(
            Integer,
            ForeignKey("favourite_list.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class FavouriteStructure(SourcingTable, table=True):
    """A structure in a list, with a snapshot of its identity taken when it was added: a list
    reads and exports without asking the catalog, even when the catalog is down."""

    __tablename__ = "favourite_structure"
    __table_args__ = (UniqueConstraint("list_id", "structure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = list_reference()
    structure_id: int
    name: str = Field(max_length=255)
    kind: str = Field(max_length=8)
    kind_label: str = Field(max_length=128)
    siret: str | None = Field(default=None, max_length=14)
    postcode: str | None = Field(default=None, max_length=5)
    city: str | None = Field(default=None, max_length=128)
    department_code: str | None = Field(default=None, max_length=3)
    added_at: datetime = Field(default_factory=utcnow)
