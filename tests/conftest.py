"""Fixtures on real backends: SQLite files, the PostgreSQL server, a Meilisearch process."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from meilisearch_python_sdk import AsyncClient
from sqlalchemy.engine import Engine

from services.catalog.indexing.index import SearchIndexWriter
from services.catalog.indexing.relay import OutboxRelay
from services.sourcing.app import create_app as create_sourcing_app
from tests.catalog.api_support import CatalogApi, catalog_settings, make_client
from tests.support import Meili, load_catalog, migrate, running_meilisearch, sourcing_settings

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
    return load_catalog(url)


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


@dataclass(frozen=True)
class IndexedCatalog:
    engine: Engine
    meili: Meili
    index: str


def relay_for(
    engine: Engine, meili: Meili, index: str, url: str | None = None
) -> tuple[OutboxRelay, AsyncClient]:
    client = AsyncClient(url or meili.url, meili.key or None, timeout=5)
    return OutboxRelay(engine, SearchIndexWriter(client, index), batch_size=1000), client


async def drain(engine: Engine, meili: Meili, index: str) -> int:
    relay, client = relay_for(engine, meili, index)
    async with client:
        return await relay.drain()


async def rebuild(engine: Engine, meili: Meili, index: str) -> None:
    """The index built whole from the catalog, whatever its outbox holds (a copy of a catalog
    whose outbox another index drained still fills its own)."""
    relay, client = relay_for(engine, meili, index)
    async with client:
        await relay.rebuild()


@pytest.fixture(scope="session")
def indexed_catalog(loaded_sqlite_catalog: Engine, meili: Meili, run_id: str) -> IndexedCatalog:
    """The real data, imported and relayed into a Meilisearch index of this test run."""
    index = f"test_{run_id}_structures"
    asyncio.run(drain(loaded_sqlite_catalog, meili, index))
    return IndexedCatalog(loaded_sqlite_catalog, meili, index)


@pytest.fixture(scope="session")
def sourcing_client(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    settings = sourcing_settings(
        indexed_catalog.meili.url,
        indexed_catalog.meili.key,
        indexed_catalog.index,
        tmp_path_factory.mktemp("sourcing"),
    )
    with TestClient(create_sourcing_app(settings)) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture(scope="module")
def catalog_api(
    tmp_path_factory: pytest.TempPathFactory, meili: Meili, run_id: str
) -> Iterator[CatalogApi]:
    """A catalog service on its own SQLite file holding the real data, for API tests."""
    folder = tmp_path_factory.mktemp("catalog_api")
    url = f"sqlite:///{folder / 'catalog.db'}"
    engine = _loaded_catalog(url)
    settings = catalog_settings(
        url, folder / "mail", meili.url, meili.key, f"test_{run_id}_api_{secrets.token_hex(3)}"
    )
    with make_client(settings) as client:
        yield CatalogApi(client, engine, folder / "mail")
    engine.dispose()
