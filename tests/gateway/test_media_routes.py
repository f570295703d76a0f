"""The gateway and images: uploads of up to 5 Mio pass its edge on their routes only (413 beyond,
chunked too), are forwarded with their bytes to the real catalog, and images are read by anyone
with their type and cache headers passed through; the document describes binary bodies."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from services.common.identity import Principal, Role, sign_identity
from services.common.state import state_of
from services.gateway.accounts.service import ACCESS_PREFIX
from services.gateway.app import create_app
from services.gateway.edge import UPLOAD_MAX_BODY_BYTES
from services.gateway.state import GatewayState
from tests.catalog.api_support import CatalogApi
from tests.catalog.test_ownership import fresh_structure, make_admin
from tests.support import SESSION_SECRET, free_port, gateway_settings

MIB = 1024 * 1024
UPLOADS = (
    ("PUT", "/api/v1/structures/12/logo"),
    ("POST", "/api/v1/structures/12/photos"),
    ("POST", "/api/v1/structures/12/offers/3/photos"),
)


def _gateway(folder: Path) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(folder, catalog_url=dead, sourcing_url=dead)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def test_uploads_of_up_to_5_mib_pass_the_edge_on_their_routes_only(tmp_path: Path) -> None:
    body = _png(8, 8) + b"\0" * (5 * MIB - 200)
    too_big = b"\0" * (UPLOAD_MAX_BODY_BYTES + 1)
    with _gateway(tmp_path) as client:
        for method, path in UPLOADS:
            headers = {"content-type": "image/png"}
            # Past the edge: refused for want of credentials, not for its size.
            passed = client.request(method, path, content=body, headers=headers)
            assert passed.status_code == 401, (path, passed.text)
            refused = client.request(method, path, content=too_big, headers=headers)
            assert refused.status_code == 413, path
            assert refused.headers["content-type"] == "application/problem+json"
            chunked = client.request(
                method,
                path,
                content=(b"\0" * 65536 for _ in range(UPLOAD_MAX_BODY_BYTES // 65536 + 2)),
                headers=headers,
            )
            assert chunked.status_code == 413, path
        # The larger limit is for those routes and methods only.
        for method, path in (
            ("POST", "/api/v1/structures/12/logo"),
            ("PUT", "/api/v1/structures/12/photos"),
            ("PATCH", "/api/v1/structures/12/photos/abc"),
            ("POST", "/api/v1/structures/12/activities"),
        ):
            refused = client.request(
                method, path, content=b"x" * (2 * MIB), headers={"content-type": "image/png"}
            )
            assert refused.status_code == 413, (method, path)


def test_the_document_describes_the_image_routes_in_french(tmp_path: Path) -> None:
    with _gateway(tmp_path) as client:
        document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    for method, path in UPLOADS:
        operation = paths[path.replace("12", "{structure_id}").replace("/3/", "/{offer_id}/")][
            method.lower()
        ]
        content = operation["requestBody"]["content"]
        assert set(content) == {"image/png", "image/jpeg", "image/webp"}
        assert content["image/png"]["schema"] == {"type": "string", "format": "binary"}
        assert {"413", "415"} <= set(operation["responses"])
        assert "photo" in operation["summary"] or "logo" in operation["summary"]
    media = paths["/api/v1/media/{media_id}"]["get"]
    assert media["summary"].startswith("Lire une image")
    assert "image/jpeg" in media["responses"]["200"]["content"]


@pytest.fixture
def gateway_to_catalog(catalog_api: CatalogApi, tmp_path: Path) -> Iterator[TestClient]:
    """The gateway, its catalog upstream being the real catalog app, reached in process."""
    with _gateway(tmp_path) as client:
        state = state_of(client.app, GatewayState)  # type: ignore[arg-type]
        dead = state.catalog.client
        state.catalog.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=catalog_api.client.app),  # type: ignore[arg-type]
            base_url="http://catalog",
        )
        try:
            yield client
        finally:
            client.portal.call(state.catalog.client.aclose)  # type: ignore[union-attr]
            state.catalog.client = dead


def _session(account_id: str, role: Role = Role.SUPPLIER_MANAGER) -> dict[str, str]:
    principal = Principal(account_id, role, f"{account_id}@exemple.fr")
    token = ACCESS_PREFIX + sign_identity(principal, SESSION_SECRET, ttl_s=900)
    return {"authorization": f"Bearer {token}"}


def test_images_go_through_the_gateway_and_come_back_with_their_cache_headers(
    catalog_api: CatalogApi, gateway_to_catalog: TestClient
) -> None:
    gateway = gateway_to_catalog
    structure = fresh_structure(catalog_api)
    admin = make_admin(catalog_api, structure)
    from services.common.identity import verify_identity
    from tests.catalog.api_support import SECRET

    manager = _session(verify_identity(admin["x-mi-identity"], SECRET).account_id)
    base = f"/api/v1/structures/{structure.id}"

    logo = gateway.put(
        f"{base}/logo", content=_png(900, 300), headers={**manager, "content-type": "image/png"}
    )
    assert logo.status_code == 200, logo.text
    assert (logo.json()["width"], logo.json()["height"]) == (512, 171)
    photo = gateway.post(
        f"{base}/photos",
        params={"alt": "Notre équipe"},
        content=_png(2400, 1200),
        headers={**manager, "content-type": "image/png"},
    )
    assert photo.status_code == 201, photo.text
    assert photo.json()["alt"] == "Notre équipe" and photo.json()["width"] == 1600
    mislabelled = gateway.post(
        f"{base}/photos", content=_png(20, 20), headers={**manager, "content-type": "image/webp"}
    )
    assert mislabelled.status_code == 415
    assert mislabelled.json()["instance"] == f"{base}/photos"

    buyer = _session("buyer-1", Role.PUBLIC_BUYER)
    for method in ("PUT", "DELETE"):
        refused = gateway.request(
            method,
            f"{base}/logo",
            content=_png(10, 10),
            headers={**buyer, "content-type": "image/png"},
        )
        assert refused.status_code in (403, 404), (method, refused.status_code, refused.text)

    # Anyone reads them, without logging in.
    served = gateway.get(logo.json()["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"  # no transparency: JPEG
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["etag"]
    assert Image.open(io.BytesIO(served.content)).size == (512, 171)
    unchanged = gateway.get(logo.json()["url"], headers={"if-none-match": served.headers["etag"]})
    assert unchanged.status_code == 304
    read = gateway.get(base).json()
    assert read["logo"]["url"] == logo.json()["url"]
    assert [p["id"] for p in read["photos"]] == [photo.json()["id"]]

    # Removal through the gateway's structure routes.
    photo_path = f"{base}/photos/{photo.json()['id']}"
    alt = gateway.patch(photo_path, json={"alt": "L'équipe"}, headers=manager)
    assert alt.status_code == 200 and alt.json()["alt"] == "L'équipe"
    assert gateway.delete(photo_path, headers=manager).status_code == 204
    gone = gateway.get(photo.json()["url"])
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert gateway.delete(f"{base}/logo", headers=manager).status_code == 204
    assert gateway.get(logo.json()["url"]).status_code == 404
    assert gateway.get("/api/v1/media/not-hex").status_code == 422
