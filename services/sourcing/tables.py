"""The base of every table of the sourcing database, so that its metadata holds those tables only."""

from __future__ import annotations

from sqlmodel import SQLModel

from services.common.db import database_registry
from services.common.lease import add_leases
from services.common.mail import add_outgoing_mail


class SourcingTable(SQLModel, registry=database_registry()):
    """A table of the sourcing database."""


add_outgoing_mail(SourcingTable.metadata)
add_leases(SourcingTable.metadata)
