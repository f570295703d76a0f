"""The Meilisearch master key stays with the catalog: sourcing searches with a key restricted to
searching its index, which can change nothing; no response of any service shows a secret."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.search_engine import ensure_search_key, search_key_uid, search_key_value
from services.common.settings import MeiliSettingsMixin
from services.sourcing.app import create_app as create_sourcing_app
from tests.catalog.api_support import catalog_settings, make_client
from tests.conftest import IndexedCatalog
from tests.e2e.test_services import System
from tests.security.conftest import IDENTITY_SECRET, SESSION_SECRET
from tests.support import free_port, sourcing_settings

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MEILI_URL") and not os.environ.get("MEILI_MASTER_KEY")),
    reason="an engine without a master key has no API keys",
)


@pytest.fixture(scope="module")
def index(indexed_catalog: IndexedCatalog) -> str:
    return indexed_catalog.index + "_security"  # the security system's own index


def _meili(
    indexed_catalog: IndexedCatalog, key: str, method: str, path: str, body: Any = None
) -> httpx.Response:
    return httpx.request(
        method,
        indexed_catalog.meili.url + path,
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_sourcing_searches_without_the_master_key(
    secure_system: System, indexed_catalog: IndexedCatalog, index: str
) -> None:
    assert secure_system.sourcing.process is not None and secure_system.gateway.process is not None
    sourcing = _environment(secure_system.sourcing.process.pid)
    gateway = _environment(secure_system.gateway.process.pid)
    assert sourcing["MEILI_SEARCH_KEY"] == search_key_value(indexed_catalog.meili.key, index)
    if "MEILI_MASTER_KEY" not in os.environ:  # else inherited from the test's own environment
        assert "MEILI_MASTER_KEY" not in sourcing and "MEILI_MASTER_KEY" not in gateway
    assert indexed_catalog.meili.key not in "\0".join(sourcing.values())
    # ...and yet searches, exports, market depth and readiness all work.
    found = secure_system.get("/api/v1/search", params={"q": "nettoyage", "department": "93"})
    assert found.status_code == 200 and found.json()["total"] > 0
    depth = secure_system.get("/api/v1/market-depth", params={"department": "93"})
    assert depth.status_code == 200 and depth.json()["eligible_suppliers"] > 0
    export = secure_system.get(
        "/api/v1/search/export", params={"kind": "ESAT", "department": "69", "format": "csv"}
    )
    assert export.status_code == 200 and len(export.text.splitlines()) > 2
    assert httpx.get(secure_system.sourcing.url + "/readyz", timeout=10).status_code == 200


def test_the_search_key_can_search_and_nothing_else(
    indexed_catalog: IndexedCatalog, index: str
) -> None:
    master = indexed_catalog.meili.key
    key = search_key_value(master, index)
    described = _meili(indexed_catalog, master, "GET", f"/keys/{search_key_uid(index)}").json()
    assert described["key"] == key and described["actions"] == ["search"]
    assert described["indexes"] == [index] and described["expiresAt"] is None
    searched = _meili(indexed_catalog, key, "POST", f"/indexes/{index}/search", {"q": "jardin"})
    assert searched.status_code == 200 and searched.json()["hits"]
    attempts = [
        ("POST", f"/indexes/{index}/documents", [{"id": 999999999, "name": "Intrus"}]),
        ("DELETE", f"/indexes/{index}/documents/1", None),
        ("GET", f"/indexes/{index}/documents", None),
        ("PATCH", f"/indexes/{index}/settings", {"searchableAttributes": ["name"]}),
        ("GET", f"/indexes/{index}/settings", None),
        ("DELETE", f"/indexes/{index}", None),
        ("GET", f"/indexes/{index}", None),
        ("POST", "/indexes", {"uid": "intrus"}),
        ("POST", "/swap-indexes", [{"indexes": [index, "intrus"]}]),
        ("GET", "/keys", None),
        ("GET", f"/keys/{search_key_uid(index)}", None),
        ("POST", "/keys", {"actions": ["*"], "indexes": ["*"], "expiresAt": None}),
        ("GET", "/tasks", None),
        ("POST", "/dumps", None),
        ("POST", f"/indexes/{indexed_catalog.index}/search", {"q": "jardin"}),  # another index
    ]
    statuses = {
        f"{method} {path}": _meili(indexed_catalog, key, method, path, body).status_code
        for method, path, body in attempts
    }
    assert statuses == {name: 403 for name in statuses}


def test_the_search_key_is_stable_and_remade(indexed_catalog: IndexedCatalog, run_id: str) -> None:
    """Same value at every start; made again (same value) if deleted or scoped elsewhere."""
    master = indexed_catalog.meili.key
    other = f"test_{run_id}_key_stability"
    settings = MeiliSettingsMixin(
        meili_url=indexed_catalog.meili.url, meili_master_key=master, meili_index=other
    )
    uid = search_key_uid(other)
    for _ in range(2):
        asyncio.run(ensure_search_key(settings))
        assert _meili(indexed_catalog, master, "GET", f"/keys/{uid}").json()["key"] == (
            search_key_value(master, other)
        )
    assert _meili(indexed_catalog, master, "DELETE", f"/keys/{uid}").status_code == 204
    wrong_scope = {"uid": uid, "actions": ["search"], "indexes": ["*"], "expiresAt": None}
    assert _meili(indexed_catalog, master, "POST", "/keys", wrong_scope).status_code == 201
    asyncio.run(ensure_search_key(settings))
    remade = _meili(indexed_catalog, master, "GET", f"/keys/{uid}").json()
    assert remade["indexes"] == [other] and remade["key"] == search_key_value(master, other)


SECRET_NAMES = ("master key", "search key", "identity secret", "session secret")


def _secrets(indexed_catalog: IndexedCatalog, index: str) -> dict[str, str]:
    master = indexed_catalog.meili.key
    values = [master, search_key_value(master, index), IDENTITY_SECRET, SESSION_SECRET]
    return dict(zip(SECRET_NAMES, values, strict=True))


def _exposed(response: httpx.Response, secrets: dict[str, str]) -> list[str]:
    seen = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [name for name, value in secrets.items() if value in seen]


def test_no_response_shows_a_secret(
    secure_system: System, indexed_catalog: IndexedCatalog, index: str
) -> None:
    secrets = _secrets(indexed_catalog, index)
    gateway, catalog, sourcing = (
        secure_system.gateway.url,
        secure_system.catalog.url,
        secure_system.sourcing.url,
    )
    urls = [
        *(base + path for base in (gateway, catalog, sourcing) for path in ("/healthz", "/readyz")),
        gateway + "/api/openapi.json",
        gateway + "/api/docs",
        catalog + "/openapi.json",
        sourcing + "/openapi.json",
        gateway + "/api/v1/search?q=jardin",
        gateway + "/api/v1/search?kind=ESATT",
        gateway + "/api/v1/search?radius_km=5000",
        gateway + "/api/v1/structures/2000000000",
        gateway + "/api/v1/needs",
        gateway + "/api/v1/answers/1.2.9999999999.forged-signature",
        gateway + "/api/v1/nothing-here",
        gateway + "/api/siae/?token=" + "0" * 64,
        sourcing + "/v1/search?q=jardin",
        sourcing + "/v1/search?sort=nope",
        sourcing + "/v1/needs",
        catalog + "/v1/structures/1",
        catalog + "/v1/claims",
    ]
    exposed = {}
    for url in urls:
        response = httpx.get(url, timeout=15, headers={"X-Api-Key": "mik" + "0" * 72})
        exposed[url] = _exposed(response, secrets)
        plain = httpx.get(url, timeout=15)
        exposed[url] += _exposed(plain, secrets)
    assert exposed == {url: [] for url in urls}


def test_search_engine_failures_show_no_secret(
    indexed_catalog: IndexedCatalog, index: str, tmp_path: Path
) -> None:
    """The engine unreachable, or refusing the key: the errors name no key."""
    from fastapi.testclient import TestClient

    secrets = _secrets(indexed_catalog, index)
    dead = f"http://127.0.0.1:{free_port()}"
    down = sourcing_settings(dead, indexed_catalog.meili.key, index, tmp_path)
    refused = sourcing_settings(
        indexed_catalog.meili.url,
        indexed_catalog.meili.key,
        index,
        tmp_path,
        meili_search_key=search_key_value(indexed_catalog.meili.key, indexed_catalog.index),
    )
    seen = []
    for settings in (down, refused):
        with TestClient(create_sourcing_app(settings)) as client:  # type: ignore[arg-type]
            for path in ("/v1/search?q=jardin", "/v1/market-depth?department=93", "/readyz"):
                response = client.get(path)
                assert response.status_code == 503, (path, response.text)
                seen += _exposed(response, secrets)
    catalog = catalog_settings(
        f"sqlite:///{tmp_path / 'catalog.db'}",
        tmp_path / "mail",
        dead,
        secrets["master key"],
        index,
    )
    with make_client(catalog) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        seen += _exposed(ready, secrets)
    assert seen == []


def test_sourcing_refuses_the_master_key_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.sourcing.settings import SourcingSettings

    for name in ("MEILI_MASTER_KEY", "MEILI_SEARCH_KEY", "MI_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)

    real = {"identity_secret": "un-vrai-secret-0123456789", "environment": "production"}
    with pytest.raises(ValueError, match="MEILI_SEARCH_KEY"):
        SourcingSettings(meili_master_key="une-vraie-cle-maitre-0123456789", **real)  # type: ignore[arg-type]
    kept = SourcingSettings(meili_search_key="une-cle-de-recherche-0123456789", **real)  # type: ignore[arg-type]
    assert kept.meili_master_key == "" and kept.meili_search_key.startswith("une-cle")
    with pytest.raises(ValueError, match="MEILI_SEARCH_KEY"):
        SourcingSettings(meili_search_key="changethis", **real)  # type: ignore[arg-type]
