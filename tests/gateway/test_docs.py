"""`/api/docs` works with no internet: the page loads only files the gateway serves, from the
pinned package `make setup` unpacks, under a policy that allows this origin only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import ROOT, free_port, gateway_settings

ASSETS = ROOT / "build" / "assets"


def _client(folder: Path, **overrides: object) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(folder, catalog_url=dead, sourcing_url=dead, **overrides)
    return TestClient(create_app(settings))  # type: ignore[arg-type]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    if not (ASSETS / "swagger-ui" / "swagger-ui-bundle.js").is_file():
        pytest.fail("build/assets/swagger-ui is missing: run `make setup`")
    with _client(tmp_path, assets_dir=ASSETS) as client:
        yield client


def test_the_docs_page_loads_only_what_the_gateway_serves(gateway: TestClient) -> None:
    page = gateway.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(referenced) >= 3
    for url in referenced:
        assert url.startswith("/api/docs/assets/"), url
        asset = gateway.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    bundle = gateway.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.content == (ASSETS / "swagger-ui" / "swagger-ui-bundle.js").read_bytes()
    init = gateway.get("/api/docs/assets/docs-init.js").text
    assert '"/api/openapi.json"' in init and "validatorUrl: null" in init


def test_the_docs_page_runs_under_its_policy(gateway: TestClient) -> None:
    policy = gateway.get("/api/docs").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # neither inline nor eval
    assert directives["connect-src"] == "'self'"  # the OpenAPI document, from here
    asset = gateway.get("/api/docs/assets/swagger-ui.css")
    assert asset.headers["x-content-type-options"] == "nosniff"
    api = gateway.get("/api/v1/reference/kinds")
    assert "script-src" not in api.headers["content-security-policy"]


def test_only_the_packages_files_are_served(gateway: TestClient) -> None:
    for name in ("package.json", "index.html", "..%2F..%2Fpyproject.toml", "swagger-ui.js.map"):
        response = gateway.get(f"/api/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"


def test_missing_assets_say_how_to_get_them(tmp_path: Path) -> None:
    empty = tmp_path / "assets"
    empty.mkdir()
    with _client(tmp_path, assets_dir=empty) as client:
        page = client.get("/api/docs")
    assert page.status_code == 503 and "make setup" in page.text
