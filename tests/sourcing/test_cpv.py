"""A buyer pastes the CPV code of their tender: the curated mapping resolves it by prefix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.sourcing.search.vocabulary import SearchVocabulary
from tests.support import DATA, csv_rows

VOCABULARY = SearchVocabulary.load(DATA)


@pytest.mark.parametrize(
    ("code", "row", "sector"),
    [
        ("90911200", "90900000", "nettoyage-de-locaux-16"),
        ("77311000", "77310000", "creation-et-entretien-des-espaces-verts"),
        ("98311000", "98311000", "blanchisserie"),
        ("79810000", "79800000", "impressions"),
    ],
)
def test_prefix_lookup(code: str, row: str, sector: str) -> None:
    found = VOCABULARY.cpv_sectors(code)
    assert found is not None and found[0] == row and sector in found[1]


def test_mapping_is_well_formed() -> None:
    codes = {r["code"] for r in csv_rows("taxonomies/cpv_2008.csv")}
    sectors = {r["secteur_slug"] for r in csv_rows("taxonomies/marche_secteurs.csv")}
    rows = csv_rows("mappings/cpv_secteurs.csv")
    assert len({r["code_cpv"] for r in rows}) == len(rows)
    divisions = {c for c in codes if c.endswith("000000")}
    assert divisions <= {r["code_cpv"] for r in rows}  # every division is decided
    for row in rows:
        assert row["code_cpv"] in codes
        slugs = [s for s in row["secteur_slugs"].split("|") if s]
        assert set(slugs) <= sectors and len(slugs) <= 3
        assert slugs or row["note"].strip()  # an unmapped code says why


def test_search_by_cpv_equals_search_by_its_sectors(sourcing_client: TestClient) -> None:
    by_cpv = sourcing_client.get(
        "/v1/search", params={"cpv": "90911200", "department": "93"}
    ).json()
    by_sector = sourcing_client.get(
        "/v1/search", params={"sector": "nettoyage-de-locaux-16", "department": "93"}
    ).json()
    assert by_cpv["total"] == by_sector["total"] > 0
    resolved = by_cpv["domain"]["cpv"][0]
    assert resolved["mapped_from"] == "90900000" and "nettoyage-de-locaux-16" in resolved["sectors"]


def test_unmapped_cpv_finds_nobody_and_says_so(sourcing_client: TestClient) -> None:
    body = sourcing_client.get("/v1/search", params={"cpv": "35113420"}).json()
    assert body["total"] == 0 and body["domain"]["cpv"][0]["sectors"] == []


@pytest.mark.parametrize("value", ["9091120", "ABCDEFGH", "99999999"])
def test_bad_cpv_is_refused(sourcing_client: TestClient, value: str) -> None:
    response = sourcing_client.get("/v1/search", params={"cpv": value})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cpv"
