"""The tables of the DECP import: contracts as notified, their partners, and the buyers' figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from services.catalog.tables import CatalogTable
from services.common.db import utcnow


class DecpContract(CatalogTable, table=True):
    """One contract (marché) as its buyer declared it when notified; modifications are not read."""

    __tablename__ = "decp_contract"

    # The buyer's SIRET, a dash, then the contract's own id (unique for that buyer only).
    uid: str = Field(primary_key=True, max_length=96)
    buyer_siret: str = Field(max_length=14, index=True)
    buyer_name: str | None = Field(default=None, max_length=255)
    notified_on: date
    year: int = Field(index=True)
    amount_eur: float
    nature: str | None = Field(default=None, max_length=64)
    cpv: str | None = Field(default=None, max_length=10)
    place_type: str | None = Field(default=None, max_length=32)
    place_code: str | None = Field(default=None, max_length=16)
    region_code: str | None = Field(default=None, max_length=3)
    clause_sociale: bool = False
    critere_social: bool = False
    marche_reserve: bool = False
    # Of the values above and the partners: an unchanged contract is not written again.
    fingerprint: str = Field(max_length=32)


class DecpPartner(CatalogTable, table=True):
    """An awardee (titulaire) or a declared subcontractor (sous-traitant) of a contract."""

    __tablename__ = "decp_partner"

    id: int | None = Field(default=None, primary_key=True)
    contract_uid: str = Field(max_length=96, index=True)
    role: str = Field(max_length=16)  # "titulaire" | "sous_traitant"
    id_type: str = Field(max_length=16)
    ident: str = Field(max_length=32, index=True)
    # The first nine digits of a SIRET, to match a structure's other establishments.
    siren: str | None = Field(default=None, max_length=9, index=True)


class DecpBuyer(CatalogTable, table=True):
    __tablename__ = "decp_buyer"

    siret: str = Field(primary_key=True, max_length=14)
    siren: str = Field(max_length=9, index=True)
    name: str = Field(max_length=255)
    search_name: str = Field(max_length=255)
    category: str = Field(max_length=32, index=True)


class DecpBuyerYear(CatalogTable, table=True):
    """A buyer's figures for the contracts it notified in one year, and its ranks that year."""

    __tablename__ = "decp_buyer_year"

    siret: str = Field(primary_key=True, max_length=14)
    year: int = Field(primary_key=True)
    category: str = Field(max_length=32, index=True)
    band: str = Field(max_length=16, index=True)
    region_code: str | None = Field(default=None, max_length=3, index=True)
    contracts: int
    amount_eur: float
    with_social: int
    social_amount_eur: float
    # The two shares as the method rounds them (four decimals): what the ranking orders by.
    social_share: float = 0.0
    social_amount_share: float = 0.0
    clause_sociale: int
    critere_social: int
    marche_reserve: int
    inclusive_contracts: int
    inclusive_amount_eur: float
    inclusive_awarded: int
    inclusive_subcontracted: int
    by_family: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    by_kind: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Ranks within the buyer's size band: nationally, in its région, in its category; None
    # below the minimum number of contracts.
    rank_national: int | None = None
    rank_region: int | None = None
    rank_category: int | None = None


class DecpImport(CatalogTable, table=True):
    """One run of `catalog import decp`: what was read, and what was refused and why."""

    __tablename__ = "decp_import"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64, index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The first rejections, {"line", "key", "reason"}; the count above is the full one.
    rejections: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
