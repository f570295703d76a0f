"""The historical API's perimeter autocompletion ranks as people expect: the big city typed
whole comes first, whatever the accents, hyphens or « st » abbreviations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import free_port, gateway_settings


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(
        tmp_path_factory.mktemp("perimeters"), catalog_url=dead, sourcing_url=dead
    )
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        yield client


def _first(gateway: TestClient, q: str, kind: str | None = "CITY") -> dict[str, object]:
    params = {"q": q} | ({"kind": kind} if kind else {})
    response = gateway.get("/api/perimeters/autocomplete/", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    assert found, q
    return found[0]


@pytest.mark.parametrize(
    ("typed", "insee_code"),
    [
        ("paris", "75056"),
        ("Marseille", "13055"),
        ("st etienne", "42218"),
        ("Saint-Étienne", "42218"),
        ("saint-denis", "97411"),  # the most populous Saint-Denis (La Réunion), then the 93's
        ("lyon", "69123"),
        ("bourg", "33067"),  # the exact name before the bigger Bourg-en-Bresse
        ("caen", "14118"),
    ],
)
def test_the_city_typed_whole_comes_first(gateway: TestClient, typed: str, insee_code: str) -> None:
    assert _first(gateway, typed)["insee_code"] == insee_code


def test_ranking_across_kinds_and_by_postcode(gateway: TestClient) -> None:
    assert _first(gateway, "Saint-Denis")["insee_code"] in ("97411", "93066")
    names = [
        p["insee_code"]
        for p in gateway.get(
            "/api/perimeters/autocomplete/", params={"q": "saint denis", "kind": "CITY"}
        ).json()
    ]
    assert names[:2] == ["97411", "93066"]
    assert _first(gateway, "rhone", kind="DEPARTMENT")["insee_code"] == "69"
    assert _first(gateway, "ile de france", kind=None)["kind"] == "REGION"
    assert _first(gateway, "42000")["insee_code"] == "42218"  # Saint-Étienne's postcode
    response = gateway.get("/api/perimeters/autocomplete/", params={"q": "s", "results": 20})
    assert len(response.json()) == 20
    assert set(response.json()[0]) == {
        "id",
        "name",
        "slug",
        "kind",
        "insee_code",
        "post_codes",
        "department_code",
        "region_code",
    }
