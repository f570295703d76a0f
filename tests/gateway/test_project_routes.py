"""The gateway's routes to organisations and purchase projects: closed to anonymous callers
except the vocabulary and the public record, a note's « .pdf » path accepted and « .. » refused,
documented in French. Their forwarding, with each caller's identity and scopes, is exercised
through real processes in tests/e2e/test_purchase_projects.py."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import free_port, gateway_settings

CLOSED = [
    ("GET", "/api/v1/organisations"),
    ("POST", "/api/v1/organisations"),
    ("GET", "/api/v1/organisations/1"),
    ("PATCH", "/api/v1/organisations/1"),
    ("POST", "/api/v1/organisations/1/members"),
    ("DELETE", "/api/v1/organisations/1/members/2"),
    ("GET", "/api/v1/organisations/1/report?year=2026"),
    ("POST", "/api/v1/organisations/1/projects"),
    ("GET", "/api/v1/organisations/1/projects"),
    ("GET", "/api/v1/projects/1"),
    ("PATCH", "/api/v1/projects/1"),
    ("DELETE", "/api/v1/projects/1"),
    ("POST", "/api/v1/projects/1/decisions"),
    ("POST", "/api/v1/projects/1/award"),
    ("POST", "/api/v1/projects/1/evaluate"),
    ("POST", "/api/v1/projects/1/need"),
    ("GET", "/api/v1/projects/1/note.pdf"),
]
OPEN = [
    "/api/v1/projects/vocabulary",
    "/api/v1/organisations/public-record?year=2026",
    "/api/v1/organisations/public-record/219300663",
]


def _client(tmp_path: Path) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(tmp_path, catalog_url=dead, sourcing_url=dead)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def test_anonymous_callers_are_refused_at_the_edge_except_on_open_routes(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        for method, path in CLOSED:
            refused = client.request(method, path, json={} if method != "GET" else None)
            assert refused.status_code == 401, (method, path, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
        for path in OPEN:
            # Forwarded without credentials: the dead upstream answers 503, not the edge 401.
            forwarded = client.get(path)
            assert forwarded.status_code == 503, (path, forwarded.text)


def test_a_path_climbing_out_is_refused(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        refused = client.get("/api/v1/organisations/public-record/..%2F..%2Fneeds")
        assert refused.status_code in (404, 422), refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_routes_are_documented_in_french(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        paths = client.get("/api/openapi-gateway.json").json()["paths"]
    summaries = {
        "/api/v1/projects/vocabulary": "get",
        "/api/v1/organisations/public-record{rest}": "get",
        "/api/v1/organisations{rest}": "post",
        "/api/v1/projects{rest}": "patch",
    }
    for path, method in summaries.items():
        summary = paths[path][method]["summary"]
        assert "projet" in summary.lower() or "organisation" in summary.lower(), summary
