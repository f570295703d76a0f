"""Alembic environment of the catalog database: structures, activities, reference data, ownership, mail."""

from migrations.env_common import run, tables_of
from services.catalog.settings import CatalogSettings
from services.catalog.tables import CatalogTable

run(CatalogSettings().database_url, tables_of(CatalogTable))
