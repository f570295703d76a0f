"""Exports of whole result sets, market depth before a tender, the insertion-hours calculator."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter

from fastapi.testclient import TestClient

from services.domain.search import SOURCES
from services.sourcing.search.export import safe_cell


def test_csv_export_holds_the_whole_result_set(sourcing_client: TestClient) -> None:
    total = sourcing_client.get("/v1/search", params={"family": "insertion", "per_page": 1}).json()[
        "total"
    ]
    response = sourcing_client.get(
        "/v1/search/export", params={"family": "insertion", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Identifiant", "Raison sociale"]
    # Every row is a structure: the sources are a column, not a line among the data.
    assert all(r[0].isdigit() for r in body)
    assert len(body) == total == 3_838 and len({r[0] for r in body}) == total
    assert all(len(r) == len(header) for r in body)
    sources = header.index("Sources")
    assert {r[sources] for r in body} == {SOURCES} and "Licence Ouverte" in SOURCES


def test_csv_export_gives_names_and_the_columns_a_buyer_calls_with(
    sourcing_client: TestClient,
) -> None:
    """Sector names and presta types as people read them, the website; the search result's
    structures, in the export."""
    params = {"sector": "nettoyage-de-locaux-16", "department": "93"}
    found = sourcing_client.get("/v1/search", params={**params, "per_page": 100}).json()
    response = sourcing_client.get("/v1/search/export", params={**params, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert {"Site web", "Secteurs", "Types de prestation", "Département (nom)"} <= set(header)
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    assert set(by_id) == {h["id"] for h in found["hits"]}
    cleaning = "Nettoyage de locaux"
    assert any(cleaning in r["Secteurs"] for r in by_id.values())
    assert not any("nettoyage-de-locaux-16" in r["Secteurs"] for r in by_id.values())
    assert any("Prestation de service" in r["Types de prestation"] for r in by_id.values())
    for hit in found["hits"]:
        assert by_id[hit["id"]]["Site web"] == (hit["website"] or "")
        assert by_id[hit["id"]]["Département (nom)"] == "Seine-Saint-Denis"


def test_xlsx_export(sourcing_client: TestClient) -> None:
    response = sourcing_client.get(
        "/v1/search/export", params={"kind": "ESAT", "department": "69", "format": "xlsx"}
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    rows = sheet.count("<row ")
    assert rows >= 31 + 1
    # The sources on each data row, in the XLSX as in the CSV; no row after the data.
    assert sheet.count("Licence Ouverte") == rows - 1


def test_formula_injection_is_escaped() -> None:
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("+33 1 00") == "'+33 1 00" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-1") == "'-1" and safe_cell("Atelier") == "Atelier"
    assert safe_cell(["a", "b"]) == "a|b" and safe_cell(None) == ""


def test_export_refuses_what_search_refuses(sourcing_client: TestClient) -> None:
    assert sourcing_client.get("/v1/search/export", params={"format": "pdf"}).status_code == 422
    assert sourcing_client.get("/v1/search/export", params={"kind": "X"}).status_code == 422


def test_market_depth_for_cleaning_in_seine_saint_denis(sourcing_client: TestClient) -> None:
    response = sourcing_client.get(
        "/v1/market-depth", params={"sector": "nettoyage-de-locaux-16", "department": "93"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    search = sourcing_client.get(
        "/v1/search", params={"sector": "nettoyage-de-locaux-16", "department": "93", "per_page": 1}
    ).json()
    assert body["eligible_suppliers"] == search["total"] > 0
    assert sum(body["by_family"].values()) == body["eligible_suppliers"]
    assert 0 < body["local_suppliers"] <= body["eligible_suppliers"]
    articles = {o["article"]: o for o in body["options"]}
    assert {"L2113-12", "L2113-13", "L2112-2", "L2152-7"} <= set(articles)
    insertion = articles["L2113-13"]
    assert insertion["eligible_suppliers"] == sum(
        n for kind, n in body["by_kind"].items() if kind in ("EI", "AI", "ACI", "ETTI", "EITI")
    )
    assert body["law"]["climate_law"]["in_force_from"] == "2026-08-22"
    assert body["law"]["european_thresholds_2026_2027_eur_ht"]["travaux"] == 5_404_000


def test_market_depth_says_when_reservation_is_unwise(sourcing_client: TestClient) -> None:
    body = sourcing_client.get(
        "/v1/market-depth", params={"sector": "nettoyage-de-locaux-16", "commune": "05001"}
    ).json()
    disability = next(o for o in body["options"] if o["article"] == "L2113-12")
    assert disability["possible"] is False and "infructuosité" in disability["why"]


def test_insertion_hours_echo_their_inputs(sourcing_client: TestClient) -> None:
    body = sourcing_client.get(
        "/v1/insertion-hours",
        params={
            "amount_eur": 1_000_000,
            "labour_share_percent": 50,
            "insertion_rate_percent": 5,
            "hourly_cost_eur": 30,
        },
    ).json()
    assert body["hours"] == 833.3
    assert body["amount_eur"] == 1_000_000 and body["labour_share_percent"] == 50
    assert "833.3 h" in body["formula"]
    bad = sourcing_client.get(
        "/v1/insertion-hours",
        params={"amount_eur": -1, "labour_share_percent": 50, "insertion_rate_percent": 5},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount_eur"


def _located_without_activities(client: TestClient, department: str, kinds: str) -> Counter[str]:
    """Brute force, through the search API: the structures of `kinds` located in the
    département that declare no activity."""
    found: Counter[str] = Counter()
    page = 1
    while True:
        body = client.get(
            "/v1/search",
            params={"kind": kinds, "department": department, "per_page": 100, "page": page},
        ).json()
        for hit in body["hits"]:
            if hit["department_code"] == department and not hit["activities"]:
                found[hit["kind"]] += 1
        if page >= body["total_pages"]:
            return found
        page += 1


def test_market_depth_counts_the_suppliers_whose_activities_are_unknown(
    sourcing_client: TestClient,
) -> None:
    """Green spaces in the Bouches-du-Rhône reserved to the disability sector: few ESAT/EA have
    declared activities, so the answer counts those located there that have not declared any,
    and says what that means instead of a bare « too few suppliers »."""
    body = sourcing_client.get(
        "/v1/market-depth",
        params={
            "sector": "creation-et-entretien-des-espaces-verts",
            "department": "13",
            "reservation": "L2113-12",
        },
    ).json()
    expected = _located_without_activities(sourcing_client, "13", "ESAT,EA,EATT")
    assert body["undeclared_suppliers"] == sum(expected.values()) > 0
    assert body["undeclared_by_kind"] == dict(expected)
    assert str(body["undeclared_suppliers"]) in body["summary"]
    assert "n'ont encore déclaré aucune activité" in body["summary"]
    disability = next(o for o in body["options"] if o["article"] == "L2113-12")
    if not disability["possible"]:
        assert "n'ont pas encore déclaré leurs activités" in disability["why"]
    everything = sourcing_client.get(
        "/v1/market-depth",
        params={"sector": "creation-et-entretien-des-espaces-verts", "department": "13"},
    ).json()
    assert everything["undeclared_suppliers"] >= body["undeclared_suppliers"]
    assert set(everything["undeclared_by_kind"]) - {"ESAT", "EA", "EATT"}
