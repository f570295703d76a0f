"""The base of every table of the gateway database, so that its metadata holds those tables only."""

from __future__ import annotations

from sqlmodel import SQLModel

from services.common.db import database_registry
from services.common.lease import add_leases
from services.common.mail import add_outgoing_mail


class GatewayTable(SQLModel, registry=database_registry()):
    """A table of the gateway database."""


add_outgoing_mail(GatewayTable.metadata)
add_leases(GatewayTable.metadata)
