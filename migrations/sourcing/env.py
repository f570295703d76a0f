"""Alembic environment of the sourcing database (buyers' needs live here)."""

from migrations.env_common import run
from services.sourcing.settings import SourcingSettings

run(SourcingSettings().database_url, None)
