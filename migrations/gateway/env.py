"""Alembic environment of the gateway database: accounts, sessions, API keys, mail."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import services.common.mail
import services.gateway.accounts.models  # noqa: F401
from migrations.env_common import run
from services.gateway.settings import GatewaySettings

GATEWAY_TABLES = ("account", "refresh_token", "email_token", "api_key", "outgoing_mail")
target = MetaData(naming_convention=SQLModel.metadata.naming_convention)
for name in GATEWAY_TABLES:
    SQLModel.metadata.tables[name].to_metadata(target)

run(GatewaySettings().database_url, target)
