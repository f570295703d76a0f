"""Search over a real index filled from the real data, checked against the catalog itself."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from services.catalog.structures.models import Structure
from tests.conftest import IndexedCatalog
from tests.support import kinds_expected


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _all_ids(client: TestClient, **params: Any) -> list[int]:
    ids: list[int] = []
    first = _search(client, per_page=100, **params)
    for page in range(1, first["total_pages"] + 1):
        ids += [hit["id"] for hit in _search(client, per_page=100, page=page, **params)["hits"]]
    assert len(ids) == first["total"]
    return ids


def _db_ids(catalog: IndexedCatalog, *conditions: Any) -> set[int]:
    with Session(catalog.engine) as session:
        statement = select(Structure.id).where(col(Structure.is_active), *conditions)
        return {sid for sid in session.exec(statement) if sid is not None}


def test_kind_facets_equal_the_counts_from_the_files(sourcing_client: TestClient) -> None:
    result = _search(sourcing_client, per_page=1)
    assert result["total"] == 5_344
    assert result["facets"]["kind"] == dict(kinds_expected())
    assert result["facets"]["family"] == {"insertion": 3_838, "handicap": 1_506}


def test_esat_in_the_rhone_are_exactly_those_of_the_catalog(
    sourcing_client: TestClient, indexed_catalog: IndexedCatalog
) -> None:
    ids = _all_ids(sourcing_client, kind="ESAT", department="69")
    expected = _db_ids(indexed_catalog, Structure.kind == "ESAT", Structure.department_code == "69")
    assert len(ids) == len(set(ids))
    assert set(ids) == expected and len(expected) > 20


def test_whole_family_paginates_with_exact_total(
    sourcing_client: TestClient, indexed_catalog: IndexedCatalog
) -> None:
    ids = _all_ids(sourcing_client, family="insertion")
    assert len(ids) == 3_838 == len(set(ids))
    assert set(ids) == _db_ids(indexed_catalog, Structure.family == "insertion")


def test_facets_under_a_filter_match_a_brute_force_count(
    sourcing_client: TestClient, indexed_catalog: IndexedCatalog
) -> None:
    result = _search(sourcing_client, region="84", per_page=1)
    with Session(indexed_catalog.engine) as session:
        rows = session.exec(
            select(Structure.department_code, func.count())
            .where(col(Structure.is_active), Structure.region_code == "84")
            .group_by(Structure.department_code)
        ).all()
    assert result["facets"]["department"] == {code: count for code, count in rows}
    assert result["facets"]["region"] == {"84": result["total"]}


def test_nettoyage_in_seine_saint_denis(
    sourcing_client: TestClient, indexed_catalog: IndexedCatalog
) -> None:
    ids = _all_ids(sourcing_client, q="nettoyage", department="93")
    cleaners = _db_ids(indexed_catalog, Structure.department_code == "93", Structure.naf == "8121Z")
    assert cleaners and cleaners <= set(ids)
    hits = _search(sourcing_client, q="nettoyage", department="93", per_page=100)["hits"]
    assert {hit["department_code"] for hit in hits} == {"93"}
    # A typo finds the same suppliers.
    assert set(_all_ids(sourcing_client, q="netoyage", department="93")) == set(ids)


def test_elisions_and_accents(sourcing_client: TestClient) -> None:
    plain = _search(sourcing_client, q="insertion", per_page=1)["total"]
    assert _search(sourcing_client, q="l'insertion", per_page=1)["total"] == plain
    assert (
        _search(sourcing_client, q="batiment", per_page=1)["total"]
        == _search(sourcing_client, q="bâtiment", per_page=1)["total"]
    )


def test_no_typo_on_numbers(sourcing_client: TestClient, indexed_catalog: IndexedCatalog) -> None:
    with Session(indexed_catalog.engine) as session:
        structure = session.exec(select(Structure).where(Structure.siret == "80746931700018")).one()
    exact = _search(sourcing_client, q="80746931700018")
    assert [hit["id"] for hit in exact["hits"]] == [structure.id]
    assert _search(sourcing_client, q="80746931700019")["total"] == 0


def test_several_values_are_or_ed_and_filters_and_ed(sourcing_client: TestClient) -> None:
    ei = _search(sourcing_client, kind="EI", department="93", per_page=1)["total"]
    aci = _search(sourcing_client, kind="ACI", department="93", per_page=1)["total"]
    both = _search(sourcing_client, kind="EI,ACI", department="93", per_page=1)
    repeated = sourcing_client.get(
        "/v1/search", params=[("kind", "EI"), ("kind", "ACI"), ("department", "93")]
    ).json()
    assert both["total"] == repeated["total"] == ei + aci > 0


def test_buyers_words_find_suppliers_words(sourcing_client: TestClient) -> None:
    """Synonyms from data/search/synonymes.csv: « ménage » finds the cleaners."""
    cleaners = set(_all_ids(sourcing_client, q="nettoyage", department="93"))
    assert cleaners and cleaners <= set(_all_ids(sourcing_client, q="ménage", department="93"))
    assert cleaners <= set(_all_ids(sourcing_client, q="propreté", department="93"))


def test_sector_filter_finds_inferred_activities(
    sourcing_client: TestClient, indexed_catalog: IndexedCatalog
) -> None:
    ids = set(_all_ids(sourcing_client, sector="nettoyage-de-locaux-16", department="93"))
    expected = _db_ids(indexed_catalog, Structure.department_code == "93", Structure.naf == "8121Z")
    assert expected and expected <= ids
    hit = _search(sourcing_client, sector="nettoyage-de-locaux-16", department="93")["hits"][0]
    assert hit["matched"][0]["sector"] == "nettoyage-de-locaux-16"
    assert hit["activities"][0]["inferred"] is True
