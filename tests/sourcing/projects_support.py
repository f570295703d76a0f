"""Purchase projects on real backends: sourcing's database on SQLite and PostgreSQL in turn, a
copy of the real catalog behind its own Meilisearch index, and helpers to declare projects."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from services.catalog.app import create_app as create_catalog_app
from services.common.db import make_engine
from services.common.identity import Role
from services.domain.identifiers import luhn_ok
from services.sourcing.app import create_app as create_sourcing_app
from tests.catalog.api_support import (
    SignedIdentity,
    catalog_settings,
    identity,
    start_cleaning_in_93,
)
from tests.conftest import _postgres_database, drain, rebuild
from tests.support import Meili, copy_sqlite, migrate, sourcing_settings

CLEANING = "nettoyage-de-locaux-16"
WEBSITE = "https://marche.example"
_serial = itertools.count(1)


def _checked(digits: str) -> str:
    return next(digits + str(d) for d in range(10) if luhn_ok(digits + str(d)))


def siret() -> str:
    """A SIRET of a new SIREN at each call, both passing Luhn as real ones do."""
    return _checked(_checked(f"2{next(_serial):07d}") + "0001")


def buyer(name: str, role: Role = Role.PUBLIC_BUYER) -> SignedIdentity:
    return identity(name, role)


def project_input(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Nettoyage des locaux administratifs",
        "object": "Nettoyage quotidien de 12 bâtiments municipaux pendant 4 ans.",
        "sectors": [CLEANING],
        "department": "93",
        "contract_kind": "services",
        "estimated_amount_eur": 500_000,
        "duration_months": 48,
        "procedure": "appel_offres_ouvert",
        **overrides,
    }


@dataclass
class Projects:
    sourcing: TestClient
    catalog: TestClient
    catalog_engine: Engine
    meili: Meili
    index: str

    def organisation(
        self, who: SignedIdentity, buyer_kind: str = "collectivite", **fields: Any
    ) -> dict[str, Any]:
        body = {"name": "Ville de Saint-Denis", "siret": siret(), "buyer_kind": buyer_kind}
        created = self.sourcing.post("/v1/organisations", json=body | fields, headers=who)
        assert created.status_code == 201, created.text
        return dict(created.json())

    def project(self, who: SignedIdentity, organisation_id: int, **fields: Any) -> dict[str, Any]:
        created = self.sourcing.post(
            f"/v1/organisations/{organisation_id}/projects",
            json=project_input(**fields),
            headers=who,
        )
        assert created.status_code == 201, created.text
        return dict(created.json())

    def decide(
        self, who: SignedIdentity, project_id: int, *codes: str, **body: Any
    ) -> httpx.Response:
        options = [{"code": c} for c in codes]
        return self.sourcing.post(
            f"/v1/projects/{project_id}/decisions", json={"options": options} | body, headers=who
        )

    def give_siae_cleaning_in_93(self) -> None:
        """An SIAE of Paris starts cleaning offices in the 93, through the catalog's API (its
        manager claimed it, staff accepted); the outbox is relayed to the index."""
        hits = self.sourcing.get(
            "/v1/search", params={"department": "75", "kind": "EI", "per_page": 100}
        ).json()["hits"]
        known = self.sourcing.get(
            "/v1/search", params={"department": "93", "sector": CLEANING, "per_page": 100}
        ).json()["hits"]
        structure = next(h for h in hits if h["siret"] and h["id"] not in {k["id"] for k in known})
        start_cleaning_in_93(self.catalog, structure, CLEANING)
        asyncio.run(drain(self.catalog_engine, self.meili, self.index))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def projects(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    loaded_sqlite_catalog: Engine,
    meili: Meili,
    run_id: str,
) -> Iterator[Projects]:
    backend = str(request.param)
    database: dict[str, object] = {}
    databases: Iterator[str] = iter(())
    if backend == "postgres":
        request.applymarker(pytest.mark.postgres)
        databases = _postgres_database(request.getfixturevalue("postgres_server"))
        database["database_url"] = next(databases)
        migrate(str(database["database_url"]), "sourcing")
    folder = tmp_path_factory.mktemp(f"projects_{backend}")
    url = copy_sqlite(loaded_sqlite_catalog, folder / "catalog.db")
    engine = make_engine(url)
    index = f"test_{run_id}_projects_{backend}_{request.module.__name__.rsplit('.', 1)[-1]}"
    asyncio.run(rebuild(engine, meili, index))
    catalog = TestClient(
        create_catalog_app(catalog_settings(url, folder / "mail", meili.url, meili.key, index))
    )
    settings = sourcing_settings(meili.url, meili.key, index, folder, web_url=WEBSITE, **database)
    with catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        yield Projects(sourcing, catalog, engine, meili, index)
    engine.dispose()
    for _ in databases:  # drops the PostgreSQL database
        pass
