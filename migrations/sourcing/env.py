"""Alembic environment of the sourcing database: buyers' needs, matches, answers, mail."""

from migrations.env_common import run, tables_of
from services.sourcing.settings import SourcingSettings
from services.sourcing.tables import SourcingTable

run(SourcingSettings().database_url, tables_of(SourcingTable))
