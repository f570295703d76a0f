"""The gateway never hangs on an upstream: refused → 503, silent → 504, both problem+json."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import free_port, gateway_settings


@pytest.fixture
def silent_upstream() -> Iterator[str]:
    """A real socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _gateway(catalog_url: str, sourcing_url: str) -> TestClient:
    settings = gateway_settings(
        Path(tempfile.mkdtemp()),
        catalog_url=catalog_url,
        sourcing_url=sourcing_url,
        upstream_timeout_s=0.5,
    )
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def test_refused_connection_is_503(silent_upstream: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with _gateway(dead, dead) as client:
        started = time.monotonic()
        response = client.get("/api/v1/search", params={"q": "x"})
        assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["upstream"] == "sourcing" and "indisponible" in body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_silent_upstream_is_504(silent_upstream: str) -> None:
    with _gateway(silent_upstream, silent_upstream) as client:
        started = time.monotonic()
        response = client.get("/api/v1/structures/1")
        assert time.monotonic() - started < 3
        assert client.get("/readyz").status_code == 503
    assert response.status_code == 504
    assert response.json()["upstream"] == "catalog"


def test_path_is_validated_at_the_edge() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with _gateway(dead, dead) as client:
        response = client.get("/api/v1/structures/abc")
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/path/structure_id"
        assert client.get("/nowhere").status_code == 404
        assert client.get("/nowhere").headers["content-type"] == "application/problem+json"


def test_openapi_documents_the_search_parameters() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with _gateway(dead, dead) as client:
        spec = client.get("/api/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "kind", "family", "department", "region", "commune", "sector", "page"} <= names
