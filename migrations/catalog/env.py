"""Alembic environment of the catalog database."""

from sqlmodel import SQLModel

import services.catalog.audit.models
import services.catalog.imports.models
import services.catalog.notifications.models
import services.catalog.outbox.models
import services.catalog.ownership.models
import services.catalog.reference.models
import services.catalog.structures.models  # noqa: F401
from migrations.env_common import run
from services.catalog.settings import CatalogSettings

run(CatalogSettings().database_url, SQLModel.metadata)
