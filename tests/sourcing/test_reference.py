"""Reference data for API clients, read from the shipped files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_kinds_and_presta_types(sourcing_client: TestClient) -> None:
    kinds = sourcing_client.get("/v1/reference/kinds").json()
    assert (
        len(kinds) == 10
        and {"code": "ESAT", "family": "handicap"}.items()
        <= next(k for k in kinds if k["code"] == "ESAT").items()
    )
    assert [p["code"] for p in sourcing_client.get("/v1/reference/presta-types").json()] == [
        "DISP",
        "PREST",
        "BUILD",
    ]


def test_sectors_by_group(sourcing_client: TestClient) -> None:
    groups = sourcing_client.get("/v1/reference/sectors").json()
    assert len(groups) == 20 and sum(len(g["sectors"]) for g in groups) == 154


def test_cpv_lookup_by_code_and_by_words(sourcing_client: TestClient) -> None:
    by_code = sourcing_client.get("/v1/reference/cpv", params={"q": "909112"}).json()
    assert (
        by_code[0]["code"].startswith("909112")
        and "nettoyage-de-locaux-16" in by_code[0]["sectors"]
    )
    by_words = sourcing_client.get("/v1/reference/cpv", params={"q": "nettoyage vitres"}).json()
    assert by_words and all("vitre" in e["label"].lower() for e in by_words)
    assert sourcing_client.get("/v1/reference/cpv", params={"q": "x"}).status_code == 422


def test_communes_autocomplete(sourcing_client: TestClient) -> None:
    by_name = sourcing_client.get("/v1/reference/communes", params={"q": "saint-denis"}).json()
    assert {c["code"] for c in by_name[:2]} == {"93066", "97411"}  # the most populous first
    assert len(by_name) <= 20
    by_postcode = sourcing_client.get("/v1/reference/communes", params={"q": "69007"}).json()
    assert any(c["code"] == "69387" for c in by_postcode)
    assert (
        sourcing_client.get("/v1/reference/communes", params={"q": "lyon"}).json()[0]["name"]
        == "Lyon"
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("paris", "75056"),
        ("marseille", "13055"),
        ("st etienne", "42218"),
        ("St-Étienne", "42218"),
        ("saint-denis", "97411"),
        ("bourg", "33067"),  # the exact name before the bigger Bourg-en-Bresse
        ("ste genevieve des bois", "91549"),
    ],
)
def test_communes_rank_by_relevance(sourcing_client: TestClient, typed: str, code: str) -> None:
    found = sourcing_client.get("/v1/reference/communes", params={"q": typed}).json()
    assert found and found[0]["code"] == code, found[:3]


def test_departments_and_regions_with_their_names(sourcing_client: TestClient) -> None:
    departments = sourcing_client.get("/v1/reference/departments").json()
    assert len(departments) >= 101 and {"2A", "2B", "974"} <= {d["code"] for d in departments}
    rhone = next(d for d in departments if d["code"] == "69")
    assert rhone == {
        "code": "69",
        "name": "Rhône",
        "region": "84",
        "region_name": "Auvergne-Rhône-Alpes",
    }
    regions = sourcing_client.get("/v1/reference/regions").json()
    assert len(regions) >= 18
    assert {"code": "11", "name": "Île-de-France"} in regions


def test_communes_carry_their_centre(sourcing_client: TestClient) -> None:
    lyon = sourcing_client.get("/v1/reference/communes", params={"q": "69123"}).json()[0]
    assert lyon["name"] == "Lyon"
    assert 45.6 < lyon["lat"] < 45.9 and 4.7 < lyon["lng"] < 5.0
