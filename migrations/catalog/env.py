"""Alembic environment of the catalog database."""

from sqlmodel import SQLModel

from migrations.env_common import run
from services.catalog.settings import CatalogSettings

run(CatalogSettings().database_url, SQLModel.metadata)
