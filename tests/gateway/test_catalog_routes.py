"""The gateway's routes to the catalog's lookup, invitations, indexing and import runs: declared
before the routes they would be shadowed by, closed to anonymous callers, documented in French.
Their forwarding, with each caller's identity, is exercised in tests/security/test_idor.py."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import free_port, gateway_settings

TOKEN = "A" * 43
ROUTES = [
    ("GET", "/api/v1/structures/lookup?q=80746931700018"),
    ("GET", f"/api/v1/invitations/{TOKEN}"),
    ("POST", f"/api/v1/invitations/{TOKEN}/accept"),
    ("GET", "/api/v1/staff/imports"),
    ("GET", "/api/v1/staff/imports/1?page=2"),
    ("POST", "/api/v1/structures/1/invitations"),
    ("DELETE", "/api/v1/structures/1/invitations/1"),
]


def _client(tmp_path: Path) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(tmp_path, catalog_url=dead, sourcing_url=dead)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def test_anonymous_callers_are_refused_at_the_edge(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        for method, path in ROUTES:
            refused = client.request(method, path, json={} if method == "POST" else None)
            # 401 from the gateway itself: « lookup » is not read as a structure id (422), and
            # the dead upstream is never reached (502/503).
            assert refused.status_code == 401, (method, path, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"


def test_a_malformed_invitation_token_names_the_parameter(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        for token in ("court", "a" * 101, "jeton%20avec%20espace" + "x" * 20):
            refused = client.get(f"/api/v1/invitations/{token}")
            assert refused.status_code in (401, 422), refused.text
            if refused.status_code == 422:
                assert "token" in refused.text


def test_routes_are_documented_in_french(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        paths = client.get("/api/openapi-gateway.json").json()["paths"]
    own = {
        "/api/v1/structures/lookup": "get",
        "/api/v1/invitations/{token}": "get",
        "/api/v1/invitations/{token}/accept": "post",
        "/api/v1/staff/imports": "get",
        "/api/v1/staff/imports/{run_id}": "get",
    }
    for path, method in own.items():
        summary = paths[path][method]["summary"]
        assert any(word in summary for word in ("une", "Un", "Imports", "Retrouver", "Lire")), (
            summary
        )
