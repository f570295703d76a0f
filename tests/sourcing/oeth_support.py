"""Suppliers' attestations on real backends: sourcing on its own database with a copy of the
real catalog in-process (who manages what), EA and EI managers, client companies with an active
spend of the year as an import leaves it, and the bodies an attestation is issued with."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.catalog.app import create_app as create_catalog_app
from services.common.identity import Role
from services.common.state import state_of
from services.sourcing.app import create_app as create_sourcing_app
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.spend.models import (
    MatchKind,
    SpendFile,
    SpendFormat,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, SignedIdentity, catalog_settings, identity
from tests.conftest import IndexedCatalog
from tests.sourcing.projects_support import siret
from tests.support import IDENTITY_SECRET, copy_sqlite, sourcing_settings

YEAR = 2025
WEBSITE = "https://marche.example"


@dataclass
class World:
    sourcing: TestClient
    engine: Engine
    ea: dict[str, Any]
    other_ea: dict[str, Any]
    ei: dict[str, Any]
    managers: dict[int, SignedIdentity]

    def manager(self, structure: dict[str, Any]) -> SignedIdentity:
        return self.managers[int(structure["id"])]


def manage(catalog: TestClient, structure: dict[str, Any]) -> SignedIdentity:
    """A manager claims the structure and staff accept: the catalog then says it manages it."""
    manager = identity(f"gerant-oeth-{structure['id']}")
    claim = catalog.post(
        "/v1/claims",
        json={"siret": structure["siret"], "structure_id": structure["id"]},
        headers=manager,
    )
    assert claim.status_code == 201, claim.text
    accepted = catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    assert accepted.status_code == 200, accepted.text
    return manager


def hits(sourcing: TestClient, kind: str) -> list[dict[str, Any]]:
    hits = sourcing.get("/v1/search", params={"kind": kind, "per_page": 20}).json()["hits"]
    return [h for h in hits if h.get("siret")]


@contextmanager
def running_world(
    folder: Path,
    loaded_sqlite_catalog: Engine,
    indexed_catalog: IndexedCatalog,
    database_url: str | None = None,
) -> Iterator[World]:
    """Sourcing on its own database (SQLite in `folder`, or `database_url`) with a copy of the
    real catalog in-process behind it; two EA and an EI, each with a manager."""
    database = {"database_url": database_url} if database_url else {}
    meili = indexed_catalog.meili
    url = copy_sqlite(loaded_sqlite_catalog, folder / "catalog.db")
    catalog = TestClient(
        create_catalog_app(
            catalog_settings(url, folder / "mail", meili.url, meili.key, indexed_catalog.index)
        )
    )
    settings = sourcing_settings(
        meili.url, meili.key, indexed_catalog.index, folder, web_url=WEBSITE, **database
    )
    with catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        state = state_of(sourcing.app, SourcingState)  # type: ignore[arg-type]
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=catalog.app), base_url="http://catalog"
        )
        state.runner.directory = CatalogDirectory(client, IDENTITY_SECRET)
        ea, other_ea = hits(sourcing, "EA")[:2]
        ei = hits(sourcing, "EI")[0]
        managers = {int(s["id"]): manage(catalog, s) for s in (ea, other_ea, ei)}
        yield World(sourcing, state.engine, ea, other_ea, ei, managers)


def organisation(world: World, who: SignedIdentity, name: str) -> dict[str, Any]:
    body = {"name": name, "siret": siret(), "buyer_kind": "entreprise"}
    created = world.sourcing.post("/v1/organisations", json=body, headers=who)
    assert created.status_code == 201, created.text
    return dict(created.json())


def supplier(key: str, cents: int, structure: dict[str, Any] | None = None) -> SpendSupplier:
    matched = structure is not None
    return SpendSupplier(
        upload_id=0,
        supplier_key=key,
        siret=structure["siret"] if structure else None,
        name=structure["name"] if structure else key,
        lines=3,
        amount_cents=cents,
        match=MatchKind.SIRET if matched else MatchKind.NONE,
        structure_id=structure["id"] if structure else None,
        structure_name=structure["name"] if structure else None,
        structure_siret=structure["siret"] if structure else None,
        kind=structure["kind"] if structure else None,
        family=("handicap" if structure["kind"] in ("EA", "ESAT") else "insertion")
        if structure
        else None,
    )


def spend(world: World, organisation_id: int, suppliers: list[SpendSupplier]) -> None:
    """The organisation's active spend of the year, as an import leaves it."""
    with Session(world.engine) as session:
        file = SpendFile(
            organisation_id=organisation_id,
            name="achats.csv",
            sha256=hashlib.sha256(str(organisation_id).encode()).hexdigest(),
            format=SpendFormat.CSV,
            size_bytes=100,
            stored_path=f"spend/{organisation_id}.csv",
            uploaded_by="test",
        )
        session.add(file)
        session.flush()
        upload = SpendUpload(
            organisation_id=organisation_id,
            file_id=file.id or 0,
            year=YEAR,
            status=UploadStatus.ACTIVE,
            started_by="test",
            total_cents=sum(s.amount_cents for s in suppliers),
        )
        session.add(upload)
        session.flush()
        for supplier in suppliers:
            supplier.upload_id = upload.id or 0
            session.add(supplier)
        session.commit()


def attestation_body(siren: str, *contracts: tuple[str, float, float]) -> dict[str, Any]:
    return {
        "year": YEAR,
        "client": {"siren": siren, "name": "Client SA", "address": "1 rue du Port, 69002 Lyon"},
        "contracts": [
            {
                "reference": reference,
                "description": f"Prestation {reference}",
                "invoiced_on": "2025-06-30",
                "amount_excl_vat_eur": amount,
                "labour_cost_eur": labour,
            }
            for reference, amount, labour in contracts
        ],
    }


def make_buyers(world: World, test: str) -> dict[str, Any]:
    """Two client companies of their own: the first buys from the EA, an EI and an unknown
    supplier; the second from the EA only."""
    first_buyer = identity(f"acheteuse-{test}", Role.PRIVATE_BUYER)
    second_buyer = identity(f"acheteur-{test}", Role.PRIVATE_BUYER)
    first = organisation(world, first_buyer, "Industrie Lyonnaise")
    second = organisation(world, second_buyer, "Services du Nord")
    spend(
        world,
        first["id"],
        [
            supplier(world.ea["siret"], 2_000_000, world.ea),
            supplier(world.ei["siret"], 800_000, world.ei),
            supplier("nom:atelier martin|69002", 300_000),
        ],
    )
    spend(world, second["id"], [supplier(world.ea["siret"], 700_000, world.ea)])
    return {"first": (first, first_buyer), "second": (second, second_buyer)}
