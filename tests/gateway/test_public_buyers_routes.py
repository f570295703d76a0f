"""The public buyers' ranking, buyer pages and method answer through the gateway, open to
anonymous callers: a real catalog process holding an imported DECP file behind a gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bench.decp_file import write_decp
from services.catalog.decp.importer import import_decp
from services.catalog.reference.loader import load_reference_data
from services.common.db import make_engine
from services.gateway.app import create_app
from tests.support import (
    DATA,
    IDENTITY_SECRET,
    Meili,
    ServiceProcess,
    free_port,
    gateway_settings,
    migrate,
)


@pytest.fixture(scope="module")
def gateway(meili: Meili, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("public_buyers")
    url = f"sqlite:///{folder / 'catalog.db'}"
    migrate(url, "catalog")
    engine = make_engine(url)
    path = folder / "decp.json"
    write_decp(path, 400, seed=3)
    with Session(engine) as session:
        load_reference_data(session, DATA)
        session.commit()
        import_decp(session, path, checkpoint=session.commit)
    engine.dispose()
    catalog = ServiceProcess(
        "catalog",
        {
            "MI_ENVIRONMENT": "test",
            "CATALOG_DATABASE_URL": url,
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.key,
            "MEILI_INDEX": "public_buyers_routes",
            "MI_IDENTITY_SECRET": IDENTITY_SECRET,
        },
        folder,
    ).start()
    try:
        settings = gateway_settings(
            folder, catalog_url=catalog.url, sourcing_url=f"http://127.0.0.1:{free_port()}"
        )
        with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
            yield client
    finally:
        catalog.stop()


def test_ranking_and_buyer_pages_answer_through_the_gateway(gateway: TestClient) -> None:
    ranking = gateway.get("/api/v1/public-buyers/ranking", params={"year": 2025, "per_page": 5})
    assert ranking.status_code == 200, ranking.text
    body = ranking.json()
    assert body["year"] == 2025 and body["per_page"] == 5 and len(body["items"]) == 5
    assert body["items"][0]["rank"] == 1 and body["total"] > 5
    siret = body["items"][0]["siret"]
    buyer = gateway.get(f"/api/v1/public-buyers/{siret}")
    assert buyer.status_code == 200 and buyer.json()["siret"] == siret
    found = gateway.get("/api/v1/public-buyers", params={"q": siret[:9]})
    assert siret in {h["siret"] for h in found.json()["items"]}
    method = gateway.get("/api/v1/public-buyers/method")
    assert method.status_code == 200 and method.json()["min_contracts_to_rank"] >= 1
    export = gateway.get("/api/v1/public-buyers/ranking", params={"year": 2025, "format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.text.count("\n") == body["total"] + 1


def test_errors_come_back_as_french_problems(gateway: TestClient) -> None:
    unknown = gateway.get("/api/v1/public-buyers/21750001600019")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "SIRET" in unknown.json()["detail"]
    malformed = gateway.get("/api/v1/public-buyers/12345")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "siret"
    bad_band = gateway.get("/api/v1/public-buyers/ranking", params={"band": "?"})
    assert bad_band.status_code == 422 and "band" in bad_band.text


def test_routes_are_documented(gateway: TestClient) -> None:
    paths = gateway.get("/api/openapi-gateway.json").json()["paths"]
    for path in ("ranking", "method", "{siret}"):
        operation = paths[f"/api/v1/public-buyers/{path}"]["get"]
        assert operation["summary"] and "acheteurs publics" in operation["tags"]
