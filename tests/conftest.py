"""Fixtures on real backends: SQLite files, the PostgreSQL server, a Meilisearch process."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.catalog.imports.service import import_source
from services.catalog.imports.sources import SOURCES
from services.catalog.reference.loader import load_reference_data
from services.common.db import make_engine
from tests.support import DATA, Meili, migrate, running_meilisearch

POSTGRES_SERVER_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def meili(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Meili]:
    with running_meilisearch(tmp_path_factory.mktemp("meili")) as server:
        yield server


@pytest.fixture(scope="session")
def run_id() -> str:
    return secrets.token_hex(4)


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(POSTGRES_SERVER_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_available()
    if problem is not None:
        message = f"PostgreSQL unreachable at {POSTGRES_SERVER_URL}: {problem}"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_SERVER_URL


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the real server, dropped afterwards."""
    yield from _postgres_database(postgres_server)


def _postgres_database(server_url: str) -> Iterator[str]:
    name = f"mi_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _loaded_catalog(url: str) -> Engine:
    migrate(url, "catalog")
    engine = make_engine(url)
    with Session(engine) as session:
        load_reference_data(session, DATA)
        for source in SOURCES.values():
            import_source(session, source, DATA)
        session.commit()
    return engine


@pytest.fixture(scope="session")
def loaded_sqlite_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The real data imported once into a migrated SQLite file; tests must not change it."""
    path: Path = tmp_path_factory.mktemp("catalog") / "catalog.db"
    engine = _loaded_catalog(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def loaded_postgres_catalog(postgres_server: str) -> Iterator[Engine]:
    for url in _postgres_database(postgres_server):
        engine = _loaded_catalog(url)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def empty_catalog_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A migrated, empty catalog database on each backend in turn."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.db'}"
        migrate(url, "catalog")
        yield url
        return
    server = request.getfixturevalue("postgres_server")
    for url in _postgres_database(server):
        migrate(url, "catalog")
        yield url
