"""Favourite lists on real backends: sourcing's own database, the real index, and the catalog
(in-process, reached through its ASGI app) that says whether a structure exists."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from services.catalog.app import create_app as create_catalog_app
from services.common.identity import Role
from services.common.state import state_of
from services.sourcing.app import create_app as create_sourcing_app
from services.sourcing.favourites import service
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.state import SourcingState
from tests.catalog.api_support import catalog_settings, identity
from tests.conftest import IndexedCatalog
from tests.support import IDENTITY_SECRET, copy_sqlite, free_port, sourcing_settings

BUYER = identity("acheteuse-favoris", Role.PUBLIC_BUYER)
OTHER = identity("autre-acheteur-favoris", Role.PRIVATE_BUYER)
WEBSITE = "https://marche.example"


@dataclass
class Favourites:
    sourcing: TestClient
    structures: list[dict[str, Any]]

    def new_list(self, name: str, who: Any = BUYER) -> dict[str, Any]:
        created = self.sourcing.post("/v1/favourites", json={"name": name}, headers=who)
        assert created.status_code == 201, created.text
        return dict(created.json())

    def add(self, list_id: int, structure_id: int, who: Any = BUYER) -> httpx.Response:
        return self.sourcing.put(f"/v1/favourites/{list_id}/structures/{structure_id}", headers=who)


def _directory(app: Any, catalog: TestClient | None) -> None:
    """Sourcing asks this catalog: the in-process one, or none listening (`catalog` None)."""
    transport = httpx.ASGITransport(app=catalog.app) if catalog else None
    base = "http://catalog" if catalog else f"http://127.0.0.1:{free_port()}"
    client = httpx.AsyncClient(transport=transport, base_url=base, timeout=2)
    state_of(app, SourcingState).runner.directory = CatalogDirectory(client, IDENTITY_SECRET)


@pytest.fixture(scope="module")
def favourites(
    tmp_path_factory: pytest.TempPathFactory,
    loaded_sqlite_catalog: Engine,
    indexed_catalog: IndexedCatalog,
) -> Iterator[Favourites]:
    folder = tmp_path_factory.mktemp("favourites")
    meili = indexed_catalog.meili
    # The catalog only reads here; a copy keeps the shared data untouched all the same.
    url = copy_sqlite(loaded_sqlite_catalog, folder / "catalog.db")
    catalog = TestClient(
        create_catalog_app(
            catalog_settings(url, folder / "mail", meili.url, meili.key, indexed_catalog.index)
        )
    )
    settings = sourcing_settings(
        meili.url, meili.key, indexed_catalog.index, folder, web_url=WEBSITE
    )
    with catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        _directory(sourcing.app, catalog)
        hits = sourcing.get(
            "/v1/search", params={"department": "93", "kind": "EI", "per_page": 3}
        ).json()["hits"]
        assert len(hits) == 3
        yield Favourites(sourcing, hits)


def test_a_list_from_creation_to_deletion(favourites: Favourites) -> None:
    client = favourites.sourcing
    created = favourites.new_list("  Nettoyage 93  ")
    assert created["name"] == "Nettoyage 93" and created["count"] == 0
    list_id = created["id"]
    first, second = favourites.structures[:2]
    added = favourites.add(list_id, first["id"])
    assert added.status_code == 201, added.text
    entry = added.json()
    # What the catalog said of the structure when it was added.
    assert entry["structure_id"] == first["id"]
    assert (entry["name"], entry["kind"], entry["siret"]) == (
        first["name"],
        first["kind"],
        first["siret"],
    )
    assert (entry["city"], entry["department_code"]) == (first["city"], "93")
    again = favourites.add(list_id, first["id"])
    assert again.status_code == 200 and again.json() == entry  # idempotent
    assert favourites.add(list_id, second["id"]).status_code == 201

    read = client.get(f"/v1/favourites/{list_id}", headers=BUYER).json()
    assert read["count"] == 2
    assert [s["structure_id"] for s in read["structures"]] == [second["id"], first["id"]]
    summary = {row["id"]: row for row in client.get("/v1/favourites", headers=BUYER).json()}
    assert summary[list_id]["count"] == 2 and summary[list_id]["name"] == "Nettoyage 93"

    renamed = client.patch(
        f"/v1/favourites/{list_id}", json={"name": "Propreté Seine-Saint-Denis"}, headers=BUYER
    )
    assert renamed.status_code == 200 and renamed.json()["count"] == 2

    removed = client.delete(f"/v1/favourites/{list_id}/structures/{first['id']}", headers=BUYER)
    assert removed.status_code == 204
    gone = client.delete(f"/v1/favourites/{list_id}/structures/{first['id']}", headers=BUYER)
    assert gone.status_code == 404 and "n'est pas dans la liste" in gone.json()["detail"]
    assert client.get(f"/v1/favourites/{list_id}", headers=BUYER).json()["count"] == 1

    assert client.delete(f"/v1/favourites/{list_id}", headers=BUYER).status_code == 204
    assert client.get(f"/v1/favourites/{list_id}", headers=BUYER).status_code == 404
    assert list_id not in {row["id"] for row in client.get("/v1/favourites", headers=BUYER).json()}


def test_names_are_unique_per_owner_and_checked(favourites: Favourites) -> None:
    client = favourites.sourcing
    favourites.new_list("Traiteurs")
    clash = client.post("/v1/favourites", json={"name": "  traiteurs "}, headers=BUYER)
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    assert "Traiteurs" in clash.json()["detail"]
    favourites.new_list("Traiteurs", OTHER)  # another owner's namesake is fine
    other = favourites.new_list("Blanchisserie")
    renamed = client.patch(
        f"/v1/favourites/{other['id']}", json={"name": "TRAITEURS"}, headers=BUYER
    )
    assert renamed.status_code == 409
    for bad in ({"name": "x" * 101}, {"name": "   "}, {}, {"name": "ok", "colour": "bleu"}):
        answer = client.post("/v1/favourites", json=bad, headers=BUYER)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["field"] in ("name", "colour")
    too_long = client.post("/v1/favourites", json={"name": "x" * 101}, headers=BUYER).json()
    assert too_long["errors"][0]["detail"] == "trop long (au plus 100 caractères)"


def test_each_owner_sees_only_their_lists(favourites: Favourites) -> None:
    client = favourites.sourcing
    mine = favourites.new_list("Privée")
    structure = favourites.structures[0]["id"]
    assert favourites.add(mine["id"], structure).status_code == 201
    base = f"/v1/favourites/{mine['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"name": "Volée"}),
        ("DELETE", base, None),
        ("PUT", f"{base}/structures/{structure}", None),
        ("DELETE", f"{base}/structures/{structure}", None),
        ("GET", f"{base}/export", None),
    ):
        answer = client.request(method, path, json=body, headers=OTHER)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["detail"] == f"Aucune liste de favoris n° {mine['id']}."
    assert mine["id"] not in {
        row["id"] for row in client.get("/v1/favourites", headers=OTHER).json()
    }
    assert client.get(base, headers=BUYER).json()["count"] == 1
    assert client.get("/v1/favourites").status_code == 401


def test_unknown_structures_are_404_in_french(favourites: Favourites) -> None:
    created = favourites.new_list("Introuvables")
    answer = favourites.add(created["id"], 2_000_000_000)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"] == "Aucune structure active n'a l'identifiant 2000000000."
    assert favourites.add(created["id"], 0).status_code == 422


def test_caps_on_lists_and_structures(
    favourites: Favourites, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = identity("collectionneuse", Role.PUBLIC_BUYER)
    for number in range(service.MAX_LISTS):
        favourites.new_list(f"Liste {number}", owner)
    refused = favourites.sourcing.post(
        "/v1/favourites", json={"name": "Une de trop"}, headers=owner
    )
    assert refused.status_code == 409 and str(service.MAX_LISTS) in refused.json()["detail"]
    # A smaller cap, so that the test does not add 500 structures one by one.
    monkeypatch.setattr(service, "MAX_STRUCTURES", 2)
    small = favourites.new_list("Petite")
    first, second, third = (s["id"] for s in favourites.structures)
    assert favourites.add(small["id"], first).status_code == 201
    assert favourites.add(small["id"], second).status_code == 201
    full = favourites.add(small["id"], third)
    assert full.status_code == 409 and "maximum" in full.json()["detail"]
    assert favourites.add(small["id"], first).status_code == 200  # already in: still fine


def test_exports_as_csv_and_xlsx(favourites: Favourites) -> None:
    client = favourites.sourcing
    created = favourites.new_list("À exporter")
    for structure in favourites.structures:
        assert favourites.add(created["id"], structure["id"]).status_code == 201
    answer = client.get(f"/v1/favourites/{created['id']}/export", headers=BUYER)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert {int(r["Identifiant"]) for r in rows} == {s["id"] for s in favourites.structures}
    for row in rows:
        assert row["Fiche"] == f"{WEBSITE}/structures/{row['Identifiant']}"
        assert "Licence Ouverte" in row["Sources"]
    xlsx = client.get(
        f"/v1/favourites/{created['id']}/export", params={"format": "xlsx"}, headers=BUYER
    )
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as workbook:
        strings = workbook.read("xl/sharedStrings.xml").decode()
    for structure in favourites.structures:
        assert f"{WEBSITE}/structures/{structure['id']}" in strings
    bad = client.get(
        f"/v1/favourites/{created['id']}/export", params={"format": "pdf"}, headers=BUYER
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"


def test_catalog_down_is_503_not_500(favourites: Favourites) -> None:
    created = favourites.new_list("Catalogue absent")
    catalog = state_of(favourites.sourcing.app, SourcingState).runner.directory  # type: ignore[arg-type]
    _directory(favourites.sourcing.app, None)
    try:
        answer = favourites.add(created["id"], favourites.structures[0]["id"])
    finally:
        state_of(favourites.sourcing.app, SourcingState).runner.directory = catalog  # type: ignore[arg-type]
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "catalogue" in answer.json()["detail"]
