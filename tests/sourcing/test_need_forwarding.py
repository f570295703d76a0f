"""Needs at the gateway: what the historical `POST /api/tenders/` refuses before forwarding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app as create_gateway_app
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
