"""Alembic environment of the gateway database: accounts, sessions, API keys, mail."""

from migrations.env_common import run, tables_of
from services.gateway.settings import GatewaySettings
from services.gateway.tables import GatewayTable

run(GatewaySettings().database_url, tables_of(GatewayTable))
