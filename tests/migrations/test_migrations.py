"""Every database's migrations go up, down and up again, on SQLite and PostgreSQL,
and the migrations create exactly what the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

import services.catalog.audit.models
import services.catalog.imports.models
import services.catalog.outbox.models
import services.catalog.ownership.models
import services.catalog.reference.models
import services.catalog.structures.models
import services.common.mail
import services.sourcing.needs.models  # noqa: F401
from services.common.db import make_engine
from tests.support import DATABASES, downgrade, migrate

CATALOG_TABLES = {
    "structure",
    "activity",
    "region",
    "department",
    "commune",
    "sector_group",
    "sector",
    "cpv_code",
    "naf_code",
    "outbox_event",
    "import_run",
    "offer",
    "membership",
    "claim",
    "audit_entry",
    "outgoing_mail",
}


def _url(backend: str, tmp_path: Path, database: str, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{database}.db'}"
    return str(request.getfixturevalue("new_postgres_database"))


@pytest.mark.parametrize("database", DATABASES)
def test_upgrade_downgrade_upgrade(
    backend: str, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, tmp_path, database, request)
    engine = make_engine(url)
    migrate(url, database)
    tables = set(inspect(engine).get_table_names())
    assert f"alembic_version_{database}" in tables
    if database == "catalog":
        assert tables >= CATALOG_TABLES
    downgrade(url, database)
    inspector = inspect(engine)
    assert not CATALOG_TABLES & set(inspector.get_table_names())
    migrate(url, database)
    if database == "catalog":
        assert set(inspect(engine).get_table_names()) >= CATALOG_TABLES
    engine.dispose()


SOURCING_TABLES = {"need", "need_match", "need_answer", "outgoing_mail"}
GATEWAY_TABLES = {"account", "refresh_token", "email_token", "api_key", "outgoing_mail"}
TABLES = {"catalog": CATALOG_TABLES, "sourcing": SOURCING_TABLES, "gateway": GATEWAY_TABLES}


@pytest.mark.parametrize("database", sorted(TABLES))
def test_migrations_match_the_models(
    backend: str, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, tmp_path, database, request)
    migrate(url, database)
    engine = make_engine(url)
    target = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for name in TABLES[database]:
        SQLModel.metadata.tables[name].to_metadata(target)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, target)
            if not (d[0] == "remove_table" and str(d[1].name).startswith("alembic_version"))
        ]
    engine.dispose()
    assert differences == []
