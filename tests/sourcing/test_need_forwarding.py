"""Needs at the gateway: what the historical `POST /api/tenders/` refuses before forwarding, and
the v1 need routes forwarded to sourcing, over the real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app as create_gateway_app
from tests.e2e.test_accounts import NEED, _account
from tests.e2e.test_services import System, system

__all__ = ["system"]  # the real processes, as tests/e2e/conftest.py shares them
from tests.support import free_port, gateway_settings

TENDER = {
    "kind": "QUOTE",
    "title": "Nettoyage des vitres de la médiathèque",
    "sectors": ["nettoyage-de-locaux-16"],
    "description": "Vitres intérieures et extérieures, deux fois par an.",
    "deadline_date": "2027-03-31",
    "contact_email": "acheteur@ville.fr",
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(
        tmp_path_factory.mktemp("gateway"), catalog_url=dead, sourcing_url=dead
    )
    with TestClient(create_gateway_app(settings)) as client:  # type: ignore[arg-type]
        yield client


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deadline_date": "2020-01-31"}, "deadline_date"),
        ({"contact_email": "acheteur@"}, "contact_email"),
        ({"contact_email": "acheteur ville.fr"}, "contact_email"),
    ],
)
def test_legacy_tenders_refuse_past_deadlines_and_bad_addresses(
    gateway: TestClient, change: dict[str, str], field: str
) -> None:
    response = gateway.post("/api/tenders/", json={**TENDER, **change})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["pointer"] == f"/body/{field}"
    assert "invalide" in error["detail"] or "passée" in error["detail"]


def test_a_buyer_edits_and_exports_a_need_through_the_gateway(system: System) -> None:
    """Real processes: the ETag comes back through the gateway, If-Match goes through, the
    matches export as CSV; a buyer is refused the staff list, a manager's routes reach sourcing."""
    _, tokens = _account(system, "public_buyer")
    buyer = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = system.post("/api/v1/needs", {**NEED, "publish": True}, buyer)
    assert created.status_code == 201, created.text
    path = f"/api/v1/needs/{created.json()['id']}"
    etag = system.get(path, headers=buyer).headers["etag"]
    assert system.patch(path, {"title": "Nouveau titre"}, buyer).status_code == 428
    edited = system.patch(path, {"title": "Nouveau titre"}, {**buyer, "If-Match": etag})
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] != etag and edited.json()["title"] == "Nouveau titre"
    stale = system.patch(path, {"title": "Encore"}, {**buyer, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    exported = system.get(f"{path}/matches", params={"format": "csv"}, headers=buyer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    asked = system.get(f"{path}/matches", headers={**buyer, "Accept": "text/csv"})
    assert asked.status_code == 200 and asked.headers["content-type"].startswith("text/csv")
    assert asked.text == exported.text
    rows = exported.text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("Structure;Identifiant;Score")
    assert len(rows) == 1 + created.json()["matches"]
    assert system.get("/api/v1/staff/untold", headers=buyer).status_code == 403
    # The catalog, asked by sourcing with the buyer's identity, says they manage nothing.
    mine = system.get("/api/v1/me/needs", headers=buyer)
    assert mine.status_code == 200 and mine.json() == []
    structure_id = int(rows[1].split(";")[1])
    refused = system.get(f"/api/v1/structures/{structure_id}/needs", headers=buyer)
    # Sourcing answers (the catalog has no such route): this buyer manages no structure.
    assert refused.status_code == 403 and "gérez" in refused.json()["detail"]
