"""Problems forwarded by the gateway name the public path the client called, never the
internal path of the service that answered."""

from __future__ import annotations

import httpx

from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System


def _problem(response: httpx.Response, status: int, path: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["instance"] == path


def test_forwarded_problems_name_the_public_path(system: System) -> None:
    _problem(system.get("/api/v1/structures/2000000000"), 404, "/api/v1/structures/2000000000")
    _problem(system.get("/api/v1/search", params={"kind": "XYZ"}), 422, "/api/v1/search")
    _problem(
        system.get("/api/v1/search/export", params={"format": "csv", "kind": "XYZ"}),
        422,
        "/api/v1/search/export",
    )
    _problem(
        system.get("/api/v1/structures/2000000000/offers"),
        404,
        "/api/v1/structures/2000000000/offers",
    )
    _, tokens = _account(system, "public_buyer")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    _problem(
        system.get("/api/v1/needs/2000000000", headers=headers), 404, "/api/v1/needs/2000000000"
    )
    _problem(system.post("/api/v1/needs", {"title": "x"}, headers), 422, "/api/v1/needs")
    forged = "/api/v1/answers/" + "x" * 40
    answer = system.get(forged)
    assert answer.status_code >= 400
    _problem(answer, answer.status_code, forged)
