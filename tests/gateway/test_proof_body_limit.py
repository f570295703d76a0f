"""The edge's body limit: 1 Mio everywhere, but a claim's proof (5 Mio) passes on its one route."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.edge import PROOF_MAX_BODY_BYTES
from tests.support import free_port, gateway_settings

MIB = 1024 * 1024


def _client(tmp_path: Path) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(tmp_path, catalog_url=dead, sourcing_url=dead)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def test_a_proof_of_up_to_5_mib_passes_the_edge(tmp_path: Path) -> None:
    proof = b"%PDF-" + b"x" * (5 * MIB - 5)
    with _client(tmp_path) as client:
        # Past the edge: refused for want of credentials, not for its size.
        passed = client.put(
            "/api/v1/claims/12/proof", content=proof, headers={"content-type": "application/pdf"}
        )
        assert passed.status_code == 401, passed.text
        chunked = client.put(
            "/api/v1/claims/12/proof",
            content=(proof[i : i + 65536] for i in range(0, len(proof), 65536)),
            headers={"content-type": "application/pdf"},
        )
        assert chunked.status_code == 401, chunked.text


def test_beyond_the_proof_limit_and_on_other_routes_bodies_get_413(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        too_big = client.put(
            "/api/v1/claims/12/proof",
            content=b"x" * (PROOF_MAX_BODY_BYTES + 1),
            headers={"content-type": "application/pdf"},
        )
        assert too_big.status_code == 413
        assert too_big.headers["content-type"] == "application/problem+json"
        chunked = client.put(
            "/api/v1/claims/12/proof",
            content=(b"x" * 65536 for _ in range(PROOF_MAX_BODY_BYTES // 65536 + 2)),
            headers={"content-type": "application/pdf"},
        )
        assert chunked.status_code == 413
        # The larger limit is for that route and method only.
        for method, path in (
            ("POST", "/api/v1/claims/12/proof"),
            ("PUT", "/api/v1/claims/12/proof/x"),
            ("POST", "/api/v1/claims"),
            ("PATCH", "/api/v1/structures/12"),
        ):
            refused = client.request(
                method, path, content=b"x" * (2 * MIB), headers={"content-type": "application/pdf"}
            )
            assert refused.status_code == 413, (method, path, refused.status_code)
