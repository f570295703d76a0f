"""Alembic environment of the gateway database (accounts and API keys live here)."""

from migrations.env_common import run
from services.gateway.settings import GatewaySettings

run(GatewaySettings().database_url, None)
