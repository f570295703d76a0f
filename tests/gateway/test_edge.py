"""The public edge: security headers, body size limit (413), CORS for configured origins."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import free_port, gateway_settings


def _client(tmp_path: Path, **overrides: object) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(tmp_path, catalog_url=dead, sourcing_url=dead, **overrides)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def test_security_headers(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        api = client.get("/api/v1/structures/abc")
        docs = client.get("/api/docs")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in api.headers["content-security-policy"]
    assert docs.status_code == 200
    assert "script-src 'self'" in docs.headers["content-security-policy"]


def test_oversized_bodies_are_refused_before_reading(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        big = client.post(
            "/api/v1/auth/login",
            content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        chunked = client.post(
            "/api/v1/auth/login",
            content=(b"x" * 65536 for _ in range(40)),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    with _client(tmp_path, cors_origins=["https://achats.ville.fr"]) as client:
        allowed = client.options(
            "/api/v1/search",
            headers={"Origin": "https://achats.ville.fr", "Access-Control-Request-Method": "GET"},
        )
        other = client.get(
            "/api/v1/reference/kinds", headers={"Origin": "https://ailleurs.example"}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://achats.ville.fr"
    assert "access-control-allow-origin" not in other.headers
