"""The gateway's tables for listing views: the day's salt, today's visitor keys, daily counts."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from services.gateway.tables import GatewayTable


class ViewSalt(GatewayTable, table=True):
    __tablename__ = "view_salt"

    day: date = Field(primary_key=True)
    salt: str = Field(max_length=64)


class ListingVisit(GatewayTable, table=True):
    """Who has been counted today: a keyed hash only, deleted once the day is over."""

    __tablename__ = "listing_visit"

    day: date = Field(primary_key=True)
    structure_id: int = Field(primary_key=True)
    visitor: str = Field(primary_key=True, max_length=64)


class ListingViewDay(GatewayTable, table=True):
    __tablename__ = "listing_view_day"

    structure_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    views: int = 0
