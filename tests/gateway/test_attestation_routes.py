"""The gateway's routes to a structure's OETH attestations and clients: closed to anonymous
callers, a malformed path refused before any service, declared ahead of the catalog's generic
structure routes (so they reach sourcing, with the caller's identity and query), documented
in the public OpenAPI document — and a buyer's OETH declaration goes through as a PUT."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from services.common.identity import Principal, Role, sign_identity
from services.common.state import state_of
from services.gateway.accounts.service import ACCESS_PREFIX
from services.gateway.app import create_app
from services.gateway.state import GatewayState
from tests.conftest import IndexedCatalog
from tests.sourcing.oeth_support import YEAR, World, attestation_body, make_buyers, running_world
from tests.support import SESSION_SECRET, free_port, gateway_settings

ROUTES = [
    ("GET", "/api/v1/structures/1/clients?year=2025"),
    ("GET", "/api/v1/structures/1/attestations"),
    ("POST", "/api/v1/structures/1/attestations"),
    ("GET", "/api/v1/structures/1/attestations/2"),
    ("PUT", "/api/v1/structures/1/attestations/2"),
    ("GET", "/api/v1/structures/1/attestations/2/attestation.pdf"),
    ("PUT", "/api/v1/organisations/1/oeth/2025"),
]


def _dead_gateway(folder: Path) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(folder, catalog_url=dead, sourcing_url=dead)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def _session(account_id: str, role: Role) -> dict[str, str]:
    principal = Principal(account_id, role, f"{account_id}@exemple.fr")
    return {"authorization": f"Bearer {ACCESS_PREFIX}{sign_identity(principal, SESSION_SECRET)}"}


def test_anonymous_callers_are_refused_at_the_edge(tmp_path: Path) -> None:
    with _dead_gateway(tmp_path) as client:
        for method, path in ROUTES:
            refused = client.request(method, path, json={} if method != "GET" else None)
            # The gateway's own 401: the dead upstream is never reached (503).
            assert refused.status_code == 401, (method, path, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"


def test_a_malformed_path_is_refused_before_any_service(tmp_path: Path) -> None:
    manager = _session("gerant-chemins", Role.SUPPLIER_MANAGER)
    with _dead_gateway(tmp_path) as client:
        for path in (
            "/api/v1/structures/1/attestations/..%2F..%2Fmembers",
            "/api/v1/structures/1/attestations/2/autre.pdf",
            "/api/v1/structures/1/attestations/abc",
            "/api/v1/structures/1/attestationsX",
            "/api/v1/structures/0/attestations",
        ):
            refused = client.get(path, headers=manager)
            assert refused.status_code in (404, 422), (path, refused.status_code, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
def through_gateway(
    tmp_path_factory: pytest.TempPathFactory,
    loaded_sqlite_catalog: Engine,
    indexed_catalog: IndexedCatalog,
) -> Iterator[tuple[TestClient, World]]:
    """A gateway whose sourcing is the real sourcing app (and its catalog) in-process."""
    folder = tmp_path_factory.mktemp("attestation_routes")
    (folder / "gateway").mkdir()
    with (
        running_world(folder, loaded_sqlite_catalog, indexed_catalog) as world,
        _dead_gateway(folder / "gateway") as gateway,
    ):
        state = state_of(gateway.app, GatewayState)  # type: ignore[arg-type]
        dead = state.sourcing.client
        state.sourcing.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=world.sourcing.app),  # type: ignore[arg-type]
            base_url="http://sourcing",
        )
        try:
            yield gateway, world
        finally:
            gateway.portal.call(state.sourcing.client.aclose)  # type: ignore[union-attr]
            state.sourcing.client = dead


def test_a_manager_issues_reads_reissues_and_downloads_through_the_gateway(
    through_gateway: tuple[TestClient, World],
) -> None:
    gateway, world = through_gateway
    first, _ = make_buyers(world, "passerelle")["first"]
    buyer_id = first["members"][0]["email"].split("@")[0]
    buyer = _session(buyer_id, Role.PRIVATE_BUYER)
    manager = _session(f"gerant-oeth-{world.ea['id']}", Role.SUPPLIER_MANAGER)
    stranger = _session(f"gerant-oeth-{world.other_ea['id']}", Role.SUPPLIER_MANAGER)
    base = f"/api/v1/structures/{world.ea['id']}"

    clients = gateway.get(f"{base}/clients", params={"year": YEAR}, headers=manager)
    assert clients.status_code == 200, clients.text
    assert first["id"] in {c["organisation_id"] for c in clients.json()}
    issued = gateway.post(
        f"{base}/attestations",
        json=attestation_body(first["siren"], ("F-77", 1000, 600)),
        headers=manager,
    )
    assert issued.status_code == 201, issued.text
    attestation: dict[str, Any] = issued.json()
    assert (attestation["labour_cost_eur"], attestation["deductible_eur"]) == (600.0, 180.0)
    path = f"{base}/attestations/{attestation['id']}"
    assert gateway.get(path, headers=manager).json()["number"] == attestation["number"]
    listed = gateway.get(f"{base}/attestations", params={"year": YEAR}, headers=manager)
    assert attestation["id"] in {a["id"] for a in listed.json()}
    update = attestation_body(first["siren"], ("F-77", 1000, 700))
    del update["year"]
    reissued = gateway.put(path, json=update, headers=manager)
    assert reissued.status_code == 200, reissued.text
    assert reissued.json()["replaces"] == attestation["id"]
    pdf = gateway.get(f"{path}/attestation.pdf", headers=manager)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    # Another EA's manager: refused by sourcing, through the gateway, as a problem.
    for method, target in (("GET", path), ("GET", f"{base}/clients?year={YEAR}"), ("PUT", path)):
        refused = gateway.request(
            method, target, json=update if method == "PUT" else None, headers=stranger
        )
        assert refused.status_code == 403, (method, target, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"

    # The buyer declares its year through the organisations' routes, as a PUT.
    oeth = f"/api/v1/organisations/{first['id']}/oeth/{YEAR}"
    declared = gateway.put(oeth, json={"headcount": 120, "labour_share": 0.5}, headers=buyer)
    assert declared.status_code == 200, declared.text
    contracts = declared.json()["contracts"]
    assert [c["attestation_id"] for c in contracts if c["source"] == "attestation"] == [
        reissued.json()["id"]
    ]
    received = gateway.get(f"/api/v1/organisations/{first['id']}/attestations", headers=buyer)
    assert {a["id"] for a in received.json()} == {attestation["id"], reissued.json()["id"]}


def test_the_routes_are_in_the_public_document_in_french(
    through_gateway: tuple[TestClient, World],
) -> None:
    gateway, _ = through_gateway
    paths = gateway.get("/api/openapi.json").json()["paths"]
    expected = {
        "/api/v1/structures/{structure_id}/clients": {"get"},
        "/api/v1/structures/{structure_id}/attestations": {"get", "post"},
        "/api/v1/structures/{structure_id}/attestations/{attestation_id}": {"get", "put"},
        "/api/v1/structures/{structure_id}/attestations/{attestation_id}/attestation.pdf": {"get"},
        "/api/v1/organisations/{organisation_id}/oeth/{year}": {"get", "put"},
        "/api/v1/organisations/{organisation_id}/oeth/{year}/tih": {"post"},
        "/api/v1/organisations/{organisation_id}/attestations": {"get"},
        "/api/v1/organisations/{organisation_id}/attestations/{attestation_id}/attestation.pdf": {
            "get"
        },
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), (path, set(paths.get(path, {})))
        for method in methods:
            summary = paths[path][method]["summary"]
            assert any(
                w in summary.lower()
                for w in ("attestation", "oeth", "clients", "déclarer", "marquer")
            ), summary
