"""The three services as real processes: a buyer's search through the gateway, request ids
carried end to end, and an upstream that goes down and comes back."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.common.db import make_engine
from tests.conftest import IndexedCatalog, relay_for
from tests.support import ServiceProcess, migrate, run_async, search_only_key


@dataclass
class System:
    catalog: ServiceProcess
    sourcing: ServiceProcess
    gateway: ServiceProcess
    mail_dir: Path
    gateway_db: str

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.gateway.url + path, timeout=15, **kwargs)  # type: ignore[arg-type]

    def post(
        self, path: str, body: object, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return httpx.post(self.gateway.url + path, json=body, headers=headers or {}, timeout=15)

    def patch(self, path: str, body: object, headers: dict[str, str]) -> httpx.Response:
        return httpx.patch(self.gateway.url + path, json=body, headers=headers, timeout=15)

    def delete(self, path: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.delete(self.gateway.url + path, headers=headers, timeout=15)


@pytest.fixture(scope="session")
def system(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """The whole system on its own copy of the catalog and its own index: what these tests
    write (activities, edits) never reaches the data other tests check."""
    with running_system(indexed_catalog, tmp_path_factory.mktemp("logs"), "_e2e") as running:
        yield running


@contextmanager
def running_system(
    indexed_catalog: IndexedCatalog,
    logs: Path,
    index_suffix: str,
    gateway_env: dict[str, str] | None = None,
    every_service_env: dict[str, str] | None = None,
    gateway_port: int | None = None,
) -> Iterator[System]:
    """Gateway, catalog and sourcing processes on a copy of the catalog in `logs` and an index
    of their own (the indexed catalog's name + `index_suffix`); `every_service_env` goes to all
    three (mail, public URL)."""
    catalog_db = logs / "catalog.db"
    source = sqlite3.connect(str(indexed_catalog.engine.url.database))
    with sqlite3.connect(str(catalog_db)) as copy:
        source.backup(copy)
    source.close()
    index = indexed_catalog.index + index_suffix
    engine = make_engine(f"sqlite:///{catalog_db}")

    async def build_index() -> None:
        relay, client = relay_for(engine, indexed_catalog.meili, index)
        async with client:
            await relay.rebuild()

    run_async(build_index())
    engine.dispose()
    shared = {
        "MI_ENVIRONMENT": "test",
        "MEILI_URL": indexed_catalog.meili.url,
        "MEILI_MASTER_KEY": indexed_catalog.meili.key,
        "MEILI_INDEX": index,
        "MI_IDENTITY_SECRET": "e2e-identity-secret-0123456789",
        **(every_service_env or {}),
    }
    catalog = ServiceProcess(
        "catalog", {**shared, "CATALOG_DATABASE_URL": f"sqlite:///{catalog_db}"}, logs
    ).start()
    sourcing_db = f"sqlite:///{logs / 'sourcing.db'}"
    migrate(sourcing_db, "sourcing")
    # Sourcing as deployed: the search-only key the catalog made at its start, no master key.
    searching = {k: v for k, v in shared.items() if k != "MEILI_MASTER_KEY"}
    searching["MEILI_SEARCH_KEY"] = search_only_key(
        indexed_catalog.meili.url, indexed_catalog.meili.key, index
    )
    sourcing = ServiceProcess(
        "sourcing",
        {**searching, "SOURCING_DATABASE_URL": sourcing_db, "SOURCING_CATALOG_URL": catalog.url},
        logs,
    ).start()
    gateway_db = f"sqlite:///{logs / 'gateway.db'}"
    migrate(gateway_db, "gateway")
    gateway = ServiceProcess(
        "gateway",
        {
            "GATEWAY_DATABASE_URL": gateway_db,
            "GATEWAY_SESSION_SECRET": "e2e-session-secret-0123456789",
            "GATEWAY_MAIL_DIR": str(logs / "mail"),
            "MI_ENVIRONMENT": "test",
            "MI_IDENTITY_SECRET": "e2e-identity-secret-0123456789",
            "GATEWAY_CATALOG_URL": catalog.url,
            "GATEWAY_SOURCING_URL": sourcing.url,
            "GATEWAY_UPSTREAM_TIMEOUT_S": "5",
            "GATEWAY_ANONYMOUS_PER_MINUTE": "10000",
            **(every_service_env or {}),
            **(gateway_env or {}),
        },
        logs,
        port=gateway_port,
    ).start()
    try:
        yield System(catalog, sourcing, gateway, logs / "mail", gateway_db)
    finally:
        for service in (gateway, sourcing, catalog):
            service.stop()


def _log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def test_search_through_the_gateway(system: System) -> None:
    params = {"q": "nettoyage", "department": "93"}
    through = system.get("/api/v1/search", params=params)
    direct = httpx.get(system.sourcing.url + "/v1/search", params=params)
    assert through.status_code == 200
    assert through.json()["total"] == direct.json()["total"] > 0
    assert {h["department_code"] for h in through.json()["hits"]} == {"93"}


def test_structure_page_through_the_gateway(system: System) -> None:
    hit = system.get("/api/v1/search", params={"kind": "ESAT", "department": "69"}).json()["hits"][
        0
    ]
    page = system.get(f"/api/v1/structures/{hit['id']}")
    assert page.status_code == 200
    assert page.json()["name"] == hit["name"] and page.json()["kind"] == "ESAT"
    missing = system.get("/api/v1/structures/2000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_bad_filter_is_a_clear_422_through_the_gateway(system: System) -> None:
    response = system.get("/api/v1/search", params={"kind": "ESATT"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "kind"


def test_request_id_is_created_by_the_gateway_and_carried(system: System) -> None:
    response = system.get(
        "/api/v1/search", params={"q": "jardin"}, headers={"X-Request-Id": "forged-by-client-1"}
    )
    request_id = response.headers["x-request-id"]
    assert request_id != "forged-by-client-1"
    time.sleep(0.3)
    sourcing_ids = {line.get("request_id") for line in _log_lines(system.sourcing.log)}
    gateway_ids = {line.get("request_id") for line in _log_lines(system.gateway.log)}
    assert request_id in sourcing_ids and request_id in gateway_ids


def test_readiness(system: System) -> None:
    for service in (system.catalog, system.sourcing, system.gateway):
        response = httpx.get(service.url + "/readyz", timeout=5)
        assert response.status_code == 200, response.text


def test_sourcing_down_then_back(system: System) -> None:
    system.sourcing.stop()
    try:
        started = time.monotonic()
        response = system.get("/api/v1/search", params={"q": "nettoyage"})
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["upstream"] == "sourcing"
        assert system.get("/readyz").status_code == 503
        # What does not depend on sourcing keeps working.
        assert system.get("/api/v1/structures/1").status_code in (200, 404)
        assert system.get("/healthz").status_code == 200
    finally:
        system.sourcing.start()
    assert system.get("/api/v1/search", params={"q": "nettoyage"}).status_code == 200
    assert system.get("/readyz").status_code == 200


def test_export_streams_through_the_gateway(system: System) -> None:
    with httpx.stream(
        "GET",
        system.gateway.url + "/api/v1/search/export",
        params={"kind": "ESAT", "format": "csv"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        lines = b"".join(response.iter_bytes()).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 1_504  # header, every ESAT (the sources are a column)


def test_market_depth_and_hours_through_the_gateway(system: System) -> None:
    depth = system.get("/api/v1/market-depth", params={"department": "93"})
    assert depth.status_code == 200 and depth.json()["eligible_suppliers"] > 0
    hours = system.get(
        "/api/v1/insertion-hours",
        params={"amount_eur": 200000, "labour_share_percent": 40, "insertion_rate_percent": 7},
    )
    assert hours.status_code == 200 and hours.json()["hours"] == 186.7


def test_answer_links_are_served_by_the_gateway(system: System) -> None:
    refused = system.get("/api/v1/answers/1.2.9999999999.forged-signature")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    posted = httpx.post(
        system.gateway.url + "/api/v1/answers/1.2.9999999999.forged-signature",
        json={"status": "interested"},
        timeout=10,
    )
    assert posted.status_code == 401
