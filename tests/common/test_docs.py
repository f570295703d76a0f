"""Every service's docs page — the internal ones `make run` prints too — loads only the files
the service itself serves from the pinned package: it works with no internet."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.sourcing.app import create_app as create_sourcing
from services.sourcing.settings import SourcingSettings
from tests.support import ROOT

ASSETS = ROOT / "build" / "assets"


@pytest.mark.parametrize(
    "app",
    [
        lambda: create_catalog(CatalogSettings(assets_dir=ASSETS)),
        lambda: create_sourcing(SourcingSettings(assets_dir=ASSETS)),
    ],
    ids=["catalog", "sourcing"],
)
def test_internal_docs_pages_need_no_internet(app: object) -> None:
    if not (ASSETS / "swagger-ui" / "swagger-ui-bundle.js").is_file():
        pytest.fail("build/assets/swagger-ui is missing: run `make setup`")
    made = app()  # type: ignore[operator]
    assert isinstance(made, FastAPI)
    client = TestClient(made)  # the lifespan is not needed to read the docs
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.IGNORECASE)
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(referenced) >= 3
    for url in referenced:
        assert url.startswith("/docs/assets/"), url
        assert client.get(url).status_code == 200, url
    assert '"/openapi.json"' in client.get("/docs/assets/docs-init.js").text
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404
