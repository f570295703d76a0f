"""Every database's migrations go up, down and up again, on SQLite and PostgreSQL,
and the migrations create exactly what the models declare, as each Alembic env sees them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

from migrations.env_common import tables_of
from services.catalog.tables import CatalogTable
from services.common.db import make_engine
from services.gateway.tables import GatewayTable
from services.sourcing.tables import SourcingTable
from tests.support import DATABASES, ROOT, downgrade, migrate

BASES: dict[str, type[SQLModel]] = {
    "catalog": CatalogTable,
    "sourcing": SourcingTable,
    "gateway": GatewayTable,
}


def _url(backend: str, tmp_path: Path, database: str, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{database}.db'}"
    return str(request.getfixturevalue("new_postgres_database"))


def _metadata(database: str) -> MetaData:
    return tables_of(BASES[database])


def test_only_the_mail_and_lease_tables_are_in_two_databases() -> None:
    catalog, sourcing, gateway = (set(_metadata(database).tables) for database in DATABASES)
    assert (
        catalog & sourcing
        == catalog & gateway
        == sourcing & gateway
        == {"outgoing_mail", "service_lease"}
    )


@pytest.mark.parametrize("database", DATABASES)
def test_upgrade_downgrade_upgrade(
    backend: str, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, tmp_path, database, request)
    engine = make_engine(url)
    declared = set(_metadata(database).tables)
    migrate(url, database)
    tables = set(inspect(engine).get_table_names())
    assert f"alembic_version_{database}" in tables
    assert tables >= declared
    downgrade(url, database)
    inspector = inspect(engine)
    assert not declared & set(inspector.get_table_names())
    migrate(url, database)
    assert set(inspect(engine).get_table_names()) >= declared
    engine.dispose()


@pytest.mark.parametrize("database", DATABASES)
def test_migrations_match_the_models(
    backend: str, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, tmp_path, database, request)
    migrate(url, database)
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, _metadata(database))
            if not (d[0] == "remove_table" and str(d[1].name).startswith("alembic_version"))
        ]
    engine.dispose()
    assert differences == []
    # `alembic check` in a fresh process: the env imports its models itself, nothing did before.
    check = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini", "-n", database, "check"],
        cwd=ROOT,
        env={**os.environ, f"{database.upper()}_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
