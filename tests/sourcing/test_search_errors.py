"""Bad input gets a clear problem+json naming the parameter; hostile values never widen a search."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from meilisearch_python_sdk import AsyncClient

from services.common.identity import Role
from services.sourcing.app import create_app
from services.sourcing.search.filters import build_filter, coverage_filter, quote
from services.sourcing.search.places import Territory
from tests.catalog.api_support import identity
from tests.conftest import IndexedCatalog
from tests.support import Meili, free_port, sourcing_settings, wait_until


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"kind": "FOO"}, "kind", "ESAT"),
        ({"family": "autre"}, "family", "handicap"),
        ({"department": "999"}, "department", "département inconnu"),
        ({"department": '93" OR kind = "EI'}, "department", "département inconnu"),
        ({"region": "99"}, "region", "région inconnue"),
        ({"commune": "9306"}, "commune", "commune"),
        ({"sector": "nettoyage"}, "sector", "secteur inconnu"),
        ({"presta_type": "X"}, "presta_type", "DISP"),
        ({"per_page": "0"}, "per_page", "supérieur ou égal à 1"),
        ({"per_page": "101"}, "per_page", "inférieur ou égal à 100"),
        ({"page": "abc"}, "page", "nombre entier"),
        ({"q": "x" * 201}, "q", "200 caractères"),
        ({"departement": "93"}, "departement", "paramètre inconnu"),
        ({"page": "20000", "per_page": "100"}, "page", "1000000"),
    ],
)
def test_bad_parameters_are_named(
    sourcing_client: TestClient, params: dict[str, str], field: str, words: str
) -> None:
    response = sourcing_client.get("/v1/search", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["type"].endswith("/validation-error")
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["pointer"] == f"/query/{field}"
    assert words in body["errors"][0]["detail"]


@pytest.mark.parametrize("q", ['"', "\\", 'a" OR "b', "_geoRadius(1,2,3)", "' OR 1=1 --", "%00"])
def test_hostile_text_is_just_text(sourcing_client: TestClient, q: str) -> None:
    response = sourcing_client.get("/v1/search", params={"q": q, "department": "93"})
    assert response.status_code == 200
    assert {h["department_code"] for h in response.json()["hits"]} <= {"93"}


def test_quote_escapes_backslashes_and_quotes() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert build_filter({"kind": ["EI", "ACI", "EI"]}) == ['kind IN ["ACI", "EI"]']


def test_an_injected_value_does_not_widen_the_filter(indexed_catalog: IndexedCatalog) -> None:
    """Straight to the engine, past the vocabulary check: escaping alone must hold."""

    async def total(filters: list[str]) -> int:
        async with AsyncClient(indexed_catalog.meili.url, indexed_catalog.meili.key) as client:
            result = await client.index(indexed_catalog.index).search(
                "",
                filter=filters,
                limit=0,  # type: ignore[arg-type]
            )
            return result.estimated_total_hits or 0

    hostile_values = [
        'EI" OR kind = "ACI',
        'EI\\" OR kind = \\"ACI',
        "EI' OR '1'='1",
        'EI") OR (kind EXISTS',
    ]
    for hostile in hostile_values:
        assert asyncio.run(total(build_filter({"kind": [hostile]}))) == 0
        sector = coverage_filter(frozenset({hostile}), None, Territory(), None, [])
        assert sector is not None and asyncio.run(total([sector])) == 0
    assert asyncio.run(total(build_filter({"kind": ["EI"]}))) > 0


def test_search_engine_down_gives_503_problem(
    indexed_catalog: IndexedCatalog, tmp_path: Path
) -> None:
    settings = sourcing_settings(
        f"http://127.0.0.1:{free_port()}", "k", indexed_catalog.index, tmp_path
    )
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        response = client.get("/v1/search", params={"q": "nettoyage"})
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "indisponible" in response.json()["detail"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert client.get("/healthz").status_code == 200


def test_an_index_without_our_settings_gives_503_not_500(
    meili_index_without_settings: str, tmp_path: Path, meili: Meili
) -> None:
    settings = sourcing_settings(meili.url, meili.key, meili_index_without_settings, tmp_path)
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        response = client.get("/v1/search", params={"department": "93"})
    assert response.status_code == 503
    assert "mise à jour" in response.json()["detail"]


@pytest.fixture
def meili_index_without_settings(meili: Meili, run_id: str) -> str:
    uid = f"test_{run_id}_bare"
    headers = {"Authorization": f"Bearer {meili.key}"}
    task = httpx.post(
        f"{meili.url}/indexes/{uid}/documents", json=[{"id": 1, "name": "x"}], headers=headers
    ).json()
    wait_until(
        lambda: (
            httpx.get(f"{meili.url}/tasks/{task['taskUid']}", headers=headers).json()["status"]
            == "succeeded"
        )
    )
    return uid


def test_publishing_while_the_engine_is_down_saves_the_need_unmatched(
    indexed_catalog: IndexedCatalog, tmp_path: Path
) -> None:
    """Matching at publication fails with the engine's 503; the need is published all the same
    and the background cycle matches it later."""
    settings = sourcing_settings(
        f"http://127.0.0.1:{free_port()}", "k", indexed_catalog.index, tmp_path
    )
    buyer = identity("acheteur-moteur-absent", Role.PUBLIC_BUYER)
    need = {
        "kind": "demande_devis",
        "title": "Nettoyage des vitres",
        "description": "Deux passages par an sur trois bâtiments.",
        "sectors": ["nettoyage-de-locaux-16"],
        "publish": True,
    }
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        response = client.post("/v1/needs", json=need, headers=buyer)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "published" and response.json()["matches"] == 0
        listed = client.get("/v1/needs", headers=buyer).json()
        assert [n["title"] for n in listed] == ["Nettoyage des vitres"]
