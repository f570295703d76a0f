"""Shared body of the three Alembic environments: URL from the service's settings."""

from __future__ import annotations

import logging

from alembic import context
from sqlalchemy import MetaData

from services.common.db import make_engine


def run(database_url: str, target_metadata: MetaData | None) -> None:
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
