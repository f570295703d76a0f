"""The base of every table of the catalog database, so that its metadata holds those tables only."""

from __future__ import annotations

from sqlmodel import SQLModel

from services.common.db import database_registry
from services.common.lease import add_leases
from services.common.mail import add_outgoing_mail


class CatalogTable(SQLModel, registry=database_registry()):
    """A table of the catalog database."""


add_outgoing_mail(CatalogTable.metadata)
add_leases(CatalogTable.metadata)
