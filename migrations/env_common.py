"""Shared body of the three Alembic environments: URL from the service's settings, tables from
the service's models."""

from __future__ import annotations

import importlib
import logging
import pkgutil

from alembic import context
from sqlalchemy import MetaData
from sqlmodel import SQLModel

from services.common.db import make_engine


def tables_of(base: type[SQLModel]) -> MetaData:
    """The metadata of the database whose tables derive from `base`, once every `models` module
    of that service is imported: a new models module needs no list to be updated."""
    package = importlib.import_module(base.__module__.rpartition(".")[0])
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if module.name.endswith(".models"):
            importlib.import_module(module.name)
    return base.metadata


def run(database_url: str, target_metadata: MetaData) -> None:
    config = context.config
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
        logging.getLogger("alembic").setLevel(logging.INFO)
    url = config.attributes.get("database_url") or database_url
    version_table = config.get_main_option("version_table") or "alembic_version"
    options = {
        "target_metadata": target_metadata,
        "version_table": version_table,
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
