"""The aggregated structure page: services asked at once, partial answers said partial."""

from __future__ import annotations

import httpx

from services.common.identity import Principal, Role, sign_identity
from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System

E2E_SECRET = "e2e-identity-secret-0123456789"


def _first_structure(system: System) -> dict[str, object]:
    hits = system.get(
        "/api/v1/search", params={"sector": "nettoyage-de-locaux-16", "department": "93"}
    ).json()["hits"]
    return dict(hits[0])


def test_page_for_anyone(system: System) -> None:
    structure = _first_structure(system)
    page = system.get(f"/api/v1/structures/{structure['id']}/page")
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["structure"]["id"] == structure["id"] and body["missing"] == []
    assert body["offers"] == [] and body["open_needs"] is None
    assert body["nearby"] and structure["id"] not in [h["id"] for h in body["nearby"]]
    assert system.get("/api/v1/structures/2000000000/page").status_code == 404


def test_page_for_its_manager_lists_open_needs(system: System) -> None:
    structure = _first_structure(system)
    _, tokens = _account(system, "supplier_manager")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    claim = system.post(
        "/api/v1/claims", {"siret": structure["siret"], "structure_id": structure["id"]}, session
    )
    assert claim.status_code == 201, claim.text
    staff = sign_identity(
        Principal("staff-1", Role.STAFF), E2E_SECRET
    )  # as the gateway signs for staff
    decided = httpx.post(
        f"{system.catalog.url}/v1/claims/{claim.json()['id']}/accept",
        headers={"x-mi-identity": staff},
    )
    assert decided.status_code == 200, decided.text
    page = system.get(f"/api/v1/structures/{structure['id']}/page", headers=session).json()
    assert isinstance(page["open_needs"], list) and page["missing"] == []


def test_page_survives_sourcing_down(system: System) -> None:
    structure = _first_structure(system)
    system.sourcing.stop()
    try:
        page = system.get(f"/api/v1/structures/{structure['id']}/page")
        assert page.status_code == 200
        assert page.json()["missing"] == ["nearby"] and page.json()["nearby"] is None
        assert page.json()["structure"]["id"] == structure["id"]
    finally:
        system.sourcing.start()


def test_one_merged_openapi_document(system: System) -> None:
    spec = system.get("/api/openapi.json").json()
    paths = spec["paths"]
    # The gateway's own routes, and the services' operations under their public paths.
    assert "/api/v1/search" in paths and "/api/v1/auth/login" in paths
    assert "post" in paths["/api/v1/structures/{structure_id}/activities"]
    assert "post" in paths["/api/v1/needs"] and "/api/v1/claims/{claim_id}/verify" in paths
    assert not [p for p in paths if "{rest" in p]
    assert {"bearer", "apiKey"} <= set(spec["components"]["securitySchemes"])
    assert "ActivityCreate" in spec["components"]["schemas"]
    operation = paths["/api/v1/structures/{structure_id}/activities"]["post"]
    assert all(p["name"].lower() != "x-mi-identity" for p in operation.get("parameters", []))
    examples = spec["components"]["schemas"]["ActivityCreate"].get("examples")
    assert examples  # documented with examples
    assert "swagger" in system.get("/api/docs").text.lower()
