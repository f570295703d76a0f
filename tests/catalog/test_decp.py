"""DECP import and the public ranking: a generated file (JSON and CSV forms of the same contracts)
imported for real, every buyer's yearly figures checked against a brute-force reading of the
file, idempotent re-imports, rejected contracts named with their position and reason, the
ranking's order and bands checked against the published method, the buyer routes' errors, and
formula escaping in the CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.decp_file import write_decp
from services.catalog.decp import service as decp_service
from services.catalog.decp.importer import DecpReport, import_decp
from services.catalog.decp.models import DecpBuyerYear, DecpContract, DecpPartner
from services.catalog.decp.places import region_of
from services.catalog.decp.sources import DecpFileRefused
from services.catalog.reference.repository import ReferenceRepository
from services.catalog.structures.models import Structure
from tests.catalog.api_support import CatalogApi
from tests.support import load_catalog, valid_siret

CONTRACTS = 1500
SEED = 7
YEAR = 2025
SOCIAL = {"Clause sociale": "clause_sociale", "Critère social": "critere_social"}
SOCIAL["Marché réservé"] = "marche_reserve"


@dataclass
class Decp:
    api: CatalogApi
    folder: Path
    json_path: Path
    report: DecpReport
    catalog_sirets: list[str]


def _catalog_sirets(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.connection().execute(
            select(Structure.siret)  # type: ignore[call-overload]
            .where(Structure.siret.is_not(None), Structure.is_active)  # type: ignore[union-attr]
            .order_by(Structure.id)
            .limit(60)
        )
        return [siret for (siret,) in rows]


def _import(engine: Engine, path: Path, force: bool = False) -> DecpReport:
    with Session(engine) as session:
        return import_decp(session, path, force=force, batch_size=400, checkpoint=session.commit)


@pytest.fixture(scope="module")
def decp(catalog_api: CatalogApi, tmp_path_factory: pytest.TempPathFactory) -> Decp:
    folder = tmp_path_factory.mktemp("decp")
    sirets = _catalog_sirets(catalog_api.engine)
    path = folder / "decp.json"
    write_decp(path, CONTRACTS, seed=SEED, catalog_sirets=sirets)
    return Decp(catalog_api, folder, path, _import(catalog_api.engine, path), sirets)


# --- brute force ------------------------------------------------------------------------------


def _valid(contract: dict[str, Any]) -> bool:
    amount = contract.get("montant")
    notified = contract.get("dateNotification", "")
    return (
        bool(contract.get("id"))
        and valid_siret(contract["acheteur"]["id"])
        and isinstance(amount, int | float)
        and amount > 0
        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", notified) is not None
    )


def _partners(contract: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    for entry in contract["titulaires"]:
        yield "titulaire", entry.get("titulaire", entry)
    for act in contract.get("actesSousTraitance", []):
        yield "sous_traitant", act["acteSousTraitance"]["sousTraitant"]


def brute_force(path: Path, engine: Engine) -> dict[tuple[str, int], dict[str, Any]]:
    """Every buyer-year's figures, read from the file by plain Python."""
    by_siret: dict[str, set[tuple[str, str]]] = defaultdict(set)
    by_siren: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with Session(engine) as session:
        for siret, siren, kind, family in session.connection().execute(
            select(Structure.siret, Structure.siren, Structure.kind, Structure.family).where(  # type: ignore[call-overload]
                Structure.is_active
            )
        ):
            if siret:
                by_siret[siret].add((str(kind.value), str(family.value)))
            if siren:
                by_siren[siren].add((str(kind.value), str(family.value)))
        departments = ReferenceRepository(session).department_regions()
    regions = frozenset(departments.values())
    figures: dict[tuple[str, int], dict[str, Any]] = {}
    places: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, tuple[str, str, str]] = {}
    contracts = json.loads(path.read_text(encoding="utf-8"))["marches"]["marche"]
    for c in contracts:
        if not _valid(c):
            continue
        buyer, year = c["acheteur"]["id"], int(c["dateNotification"][:4])
        f = figures.setdefault(
            (buyer, year),
            {
                "contracts": 0,
                "amount": 0.0,
                "with_social": 0,
                "social_amount": 0.0,
                "kinds": dict.fromkeys(SOCIAL.values(), 0),
                "inclusive": 0,
                "inclusive_amount": 0.0,
                "awarded": 0,
                "subcontracted": 0,
                "by_family": defaultdict(int),
                "by_kind": defaultdict(int),
                "siren_only": 0,
            },
        )
        f["contracts"] += 1
        f["amount"] += c["montant"]
        social = c["considerationsSociales"]
        social = social.get("considerationSociale", []) if isinstance(social, dict) else social
        kinds = {SOCIAL[s] for s in social if s in SOCIAL}
        if kinds:
            f["with_social"] += 1
            f["social_amount"] += c["montant"]
        for kind in kinds:
            f["kinds"][kind] += 1
        matched: set[tuple[str, str]] = set()
        roles = set()
        for role, partner in _partners(c):
            if partner["typeIdentifiant"] != "SIRET":
                continue
            found = by_siret.get(partner["id"]) or by_siren.get(partner["id"][:9]) or set()
            if found and partner["id"] not in by_siret:
                f["siren_only"] += 1
            if found:
                matched |= found
                roles.add(role)
        if matched:
            f["inclusive"] += 1
            f["inclusive_amount"] += c["montant"]
            f["awarded"] += "titulaire" in roles
            f["subcontracted"] += "sous_traitant" in roles
            for family in {fam for _, fam in matched}:
                f["by_family"][family] += 1
            for kind in {k for k, _ in matched}:
                f["by_kind"][kind] += 1
        region = region_of(
            c["lieuExecution"]["typeCode"], c["lieuExecution"]["code"], departments, regions
        )
        if region:
            places[(buyer, year)][region] += 1
        name = c["acheteur"].get("nom")
        key = (c["dateNotification"], f"{buyer}-{c['id']}")
        if name and (buyer not in names or key > names[buyer][:2]):
            names[buyer] = (*key, name)
    for (buyer, year), f in figures.items():
        counted = places.get((buyer, year))
        f["region"] = min(counted, key=lambda r: (-counted[r], r)) if counted else None
        f["name"] = names[buyer][2] if buyer in names else f"Acheteur {buyer}"
    return figures


# --- import -----------------------------------------------------------------------------------


def test_every_buyer_year_equals_brute_force(decp: Decp) -> None:
    expected = brute_force(decp.json_path, decp.api.engine)
    assert decp.report.read == sum(f["contracts"] for f in expected.values())
    assert sum(f["inclusive"] for f in expected.values()) > 0
    assert sum(f["subcontracted"] for f in expected.values()) > 0
    assert sum(f["siren_only"] for f in expected.values()) > 0
    buyers = {buyer for buyer, _ in expected}
    assert decp.report.buyers == len(buyers) and decp.report.buyer_years == len(expected)
    for buyer in buyers:
        answer = decp.api.client.get(f"/v1/public-buyers/{buyer}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        years = {y["year"]: y for y in page["years"]}
        assert set(years) == {year for b, year in expected if b == buyer}
        for year, got in years.items():
            want = expected[(buyer, year)]
            assert page["name"] == want["name"]
            assert got["contracts"] == want["contracts"]
            assert got["amount_eur"] == pytest.approx(want["amount"], abs=0.01)
            assert got["with_social"] == want["with_social"]
            assert got["by_social_kind"] == want["kinds"]
            assert got["social_share"] == round(want["with_social"] / want["contracts"], 4)
            assert got["region_code"] == want["region"]
            inclusive = got["inclusive"]
            assert inclusive["contracts"] == want["inclusive"], (buyer, year)
            assert inclusive["amount_eur"] == pytest.approx(want["inclusive_amount"], abs=0.01)
            assert inclusive["awarded_contracts"] == want["awarded"]
            assert inclusive["subcontracted_contracts"] == want["subcontracted"]
            assert inclusive["by_family"] == dict(want["by_family"])
            assert inclusive["by_kind"] == dict(want["by_kind"])


def test_rejected_contracts_are_named_with_their_position_and_reason(decp: Decp) -> None:
    contracts = json.loads(decp.json_path.read_text(encoding="utf-8"))["marches"]["marche"]
    invalid = [n for n, c in enumerate(contracts, start=1) if not _valid(c)]
    assert decp.report.rejected == len(invalid) >= 3
    assert [r.line for r in decp.report.rejections] == invalid
    reasons = {r.line: r.reason for r in decp.report.rejections}
    assert "SIRET de l'acheteur" in reasons[4] and "Luhn" in reasons[4]
    assert reasons[8] == "montant manquant"
    assert reasons[12].startswith("date de notification illisible")
    for rejection in decp.report.rejections:
        assert rejection.key == contracts[rejection.line - 1]["id"]


def _snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.connection().execute(
            select(DecpBuyerYear.__table__).order_by("siret", "year")  # type: ignore[attr-defined]
        )
        return [tuple(row) for row in rows]


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        contracts = session.connection().execute(select(func.count()).select_from(DecpContract))
        partners = session.connection().execute(select(func.count()).select_from(DecpPartner))
        return contracts.scalar_one(), partners.scalar_one()


def test_reimport_is_idempotent_and_other_forms_read_the_same_contracts(decp: Decp) -> None:
    engine, before, counts = decp.api.engine, _snapshot(decp.api.engine), _counts(decp.api.engine)
    assert counts[0] == decp.report.read
    assert _import(engine, decp.json_path).skipped  # unchanged file: not read again
    forced = _import(engine, decp.json_path, force=True)
    assert (forced.created, forced.updated, forced.unchanged) == (0, 0, decp.report.read)
    csv_path = decp.folder / "decp.csv"
    write_decp(csv_path, CONTRACTS, seed=SEED, fmt="csv", catalog_sirets=decp.catalog_sirets)
    listed = decp.folder / "decp-list.json"
    write_decp(listed, CONTRACTS, seed=SEED, catalog_sirets=decp.catalog_sirets, json_shape="list")
    for path in (csv_path, listed):
        report = _import(engine, path)
        assert not report.skipped
        assert (report.created, report.updated) == (0, 0), path
        assert report.unchanged == decp.report.read and report.rejected == decp.report.rejected
        assert _snapshot(engine) == before and _counts(engine) == counts
    # In CSV a rejection names the line of the file where the contract starts.
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    report = _import(engine, csv_path, force=True)
    for rejection in report.rejections:
        assert lines[rejection.line - 1].startswith(rejection.key + ",")


def test_a_changed_contract_is_updated_not_duplicated(decp: Decp) -> None:
    engine = decp.api.engine
    contracts = json.loads(decp.json_path.read_text(encoding="utf-8"))["marches"]["marche"]
    target = next(c for c in contracts if _valid(c))
    buyer, year = target["acheteur"]["id"], int(target["dateNotification"][:4])

    def amount() -> float:
        page = decp.api.client.get(f"/v1/public-buyers/{buyer}").json()
        return float(next(y["amount_eur"] for y in page["years"] if y["year"] == year))

    before, counts = amount(), _counts(engine)
    changed = dict(target, montant=target["montant"] + 1000)
    path = decp.folder / "one.json"
    path.write_text(json.dumps({"marches": [changed]}), encoding="utf-8")
    report = _import(engine, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert amount() == pytest.approx(before + 1000, abs=0.01) and _counts(engine) == counts
    path.write_text(json.dumps({"marches": [target]}), encoding="utf-8")
    assert _import(engine, path).updated == 1 and amount() == pytest.approx(before, abs=0.01)


def test_files_that_are_not_decp_are_refused_in_french(tmp_path: Path, decp: Decp) -> None:
    cases = {
        "autre.json": ('{"contrats": []}', "marches"),
        "casse.json": ('{"marches": [{"id": "1", "acheteur": {"id"', "JSON illisible"),
        "autre.csv": ("nom,prenom\nA,B\n", "colonnes"),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DecpFileRefused, match=words):
            _import(decp.api.engine, path)


def test_places_resolve_to_regions() -> None:
    departments = {"93": "11", "2A": "94", "974": "04", "69": "84", "01": "84"}
    regions = frozenset(departments.values())
    assert region_of("Code commune", "93048", departments, regions) == "11"
    assert region_of("Code postal", "20000", departments, regions) == "94"
    assert region_of("Code postal", "97400", departments, regions) == "04"
    assert region_of("Code département", "1", departments, regions) == "84"
    assert region_of("Code région", "84", departments, regions) == "84"
    assert region_of("Code région", "99", departments, regions) is None
    assert region_of("Code pays", "FR", departments, regions) is None


# --- ranking ----------------------------------------------------------------------------------


def _all_pages(api: CatalogApi, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = api.client.get(
            "/v1/public-buyers/ranking", params={**params, "page": page, "per_page": 50}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        if len(items) >= body["total"]:
            return items
        page += 1


def _expected_order(rows: dict[str, dict[str, Any]], minimum: int) -> tuple[list[str], list[str]]:
    def key(siret: str) -> tuple[float, float, int, str]:
        f = rows[siret]
        return (
            -round(f["with_social"] / f["contracts"], 4),
            -round(f["social_amount"] / f["amount"], 4),
            -f["contracts"],
            siret,
        )

    ranked = sorted((s for s in rows if rows[s]["contracts"] >= minimum), key=key)
    unranked = sorted((s for s in rows if rows[s]["contracts"] < minimum), key=key)
    return ranked, unranked


def test_ranking_order_and_bands_follow_the_published_method(decp: Decp) -> None:
    api = decp.api
    published = api.client.get("/v1/public-buyers/method").json()
    minimum, bands = published["min_contracts_to_rank"], published["bands"]
    assert len(published["sections"]) >= 5 and published["sources"]
    expected = brute_force(decp.json_path, api.engine)
    of_year = {b: f for (b, y), f in expected.items() if y == YEAR}

    def band_of(contracts: int) -> str:
        (band,) = [
            b["code"]
            for b in bands
            if b["min_contracts"] <= contracts
            and (b["max_contracts"] is None or contracts <= b["max_contracts"])
        ]
        return band

    seen_bands = set()
    for band in bands:
        rows = {s: f for s, f in of_year.items() if band_of(f["contracts"]) == band["code"]}
        items = _all_pages(api, year=YEAR, band=band["code"])
        ranked, unranked = _expected_order(rows, minimum)
        assert [i["siret"] for i in items] == ranked + unranked
        assert [i["rank"] for i in items] == [*range(1, len(ranked) + 1)] + [None] * len(unranked)
        assert all(i["band"] == band["code"] for i in items)
        if items:
            seen_bands.add(band["code"])
        for item in items[:3]:  # the buyer's page gives the same national rank in its band
            page = api.client.get(f"/v1/public-buyers/{item['siret']}").json()
            rank = next(y["rank"] for y in page["years"] if y["year"] == YEAR)
            assert (rank or {}).get("national") == item["rank"]
            if rank:
                assert rank["national_of"] == len(ranked)
    assert len(seen_bands) >= 3  # the generated sizes reach several bands
    # Without a band, and within a région: band by band (largest first), ranks restarting at 1
    # in each band, never across sizes.
    region = max(
        {f["region"] for f in of_year.values() if f["region"]},
        key=lambda r: sum(f["region"] == r for f in of_year.values()),
    )
    largest_first = [b["code"] for b in reversed(bands)]
    for params, kept in (
        ({}, lambda f: True),
        ({"region": region}, lambda f: f["region"] == region),
    ):
        chosen = {s: f for s, f in of_year.items() if kept(f)}
        want_sirets: list[str] = []
        want_ranks: list[int | None] = []
        want_bands = []
        for code in largest_first:
            rows = {s: f for s, f in chosen.items() if band_of(f["contracts"]) == code}
            ranked, unranked = _expected_order(rows, minimum)
            want_sirets += ranked + unranked
            want_ranks += [*range(1, len(ranked) + 1)] + [None] * len(unranked)
            if rows:
                want_bands.append((code, len(rows), len(ranked)))
        items = _all_pages(api, year=YEAR, **params)
        assert [i["siret"] for i in items] == want_sirets, params
        assert [i["rank"] for i in items] == want_ranks, params
        assert all(i["region_code"] == region and i["region_name"] for i in items if params)
        body = api.client.get("/v1/public-buyers/ranking", params={"year": YEAR, **params}).json()
        assert [(b["code"], b["total"], b["ranked"]) for b in body["bands"]] == want_bands
        assert body["total"] == len(want_sirets)
    # The CSV of the whole year: the same order, the same ranks, the band named on each row.
    answer = api.client.get("/v1/public-buyers/ranking", params={"year": YEAR, "format": "csv"})
    header, *lines = _csv_rows(answer.text)
    labels = {b["code"]: b["label"] for b in bands}
    everything = _all_pages(api, year=YEAR)
    assert [line[header.index("SIRET")] for line in lines] == [i["siret"] for i in everything]
    assert [line[header.index("Rang")] for line in lines] == [
        str(i["rank"]) if i["rank"] else "" for i in everything
    ]
    assert [line[header.index("Tranche")] for line in lines] == [
        labels[i["band"]] for i in everything
    ]


def test_categories_follow_the_siren_rules(decp: Decp) -> None:
    published = decp.api.client.get("/v1/public-buyers/method").json()
    assert {c["code"] for c in published["categories"]} >= {"etat", "commune", "sante"}
    rules = (
        ("1", "etat"),
        ("200", "intercommunalite"),
        ("24", "intercommunalite"),
        ("21", "commune"),
        ("22", "departement"),
        ("23", "region"),
        ("26", "sante"),
    )
    items = _all_pages(decp.api, year=YEAR)
    assert len({i["category"] for i in items}) >= 5
    for item in items:
        want = next((code for prefix, code in rules if item["siret"].startswith(prefix)), "autre")
        assert item["category"] == want, item["siret"]
        assert item["category_label"]
    etat = _all_pages(decp.api, year=YEAR, category="etat")
    assert etat and {i["siret"][0] for i in etat} == {"1"}


def test_buyer_route_errors_and_search(decp: Decp) -> None:
    client = decp.api.client
    unknown = "21750001600019"  # a valid SIRET that notified nothing here
    assert valid_siret(unknown)
    answer = client.get(f"/v1/public-buyers/{unknown}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    for bad in ("123", "21750001600018", "2175000160001A"):
        answer = client.get(f"/v1/public-buyers/{bad}")
        assert answer.status_code == 422, bad
        assert answer.json()["errors"][0]["field"] == "siret"
    for params in ({"year": "1800"}, {"band": "beaucoup"}, {"region": "99"}, {"per_page": 0}):
        answer = client.get("/v1/public-buyers/ranking", params=params)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"] == "application/problem+json"
    item = _all_pages(decp.api, year=YEAR)[0]
    by_siret = client.get("/v1/public-buyers", params={"q": item["siret"][:10]}).json()
    assert item["siret"] in {h["siret"] for h in by_siret["items"]}
    by_name = client.get("/v1/public-buyers", params={"q": item["name"].upper()}).json()
    assert item["siret"] in {h["siret"] for h in by_name["items"]}
    assert client.get("/v1/public-buyers", params={"q": "x"}).status_code == 422


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_exports_escape_formulas(decp: Decp) -> None:
    """A buyer whose published name is a formula, in a year of its own (the other tests read
    the generated years only)."""
    siret = "21750001600019"
    name = '=HYPERLINK("http://exemple.invalid","clic")'
    contracts = [
        {
            "id": f"F{n}",
            "acheteur": {"id": siret, "nom": name},
            "nature": "Marché",
            "montant": 50_000 + n,
            "dateNotification": f"2031-0{n + 1}-15",
            "lieuExecution": {"code": "75056", "typeCode": "Code commune"},
            "titulaires": [{"id": decp.catalog_sirets[0], "typeIdentifiant": "SIRET"}],
            "considerationsSociales": ["Clause sociale"] if n % 2 else [],
        }
        for n in range(6)
    ]
    path = decp.folder / "formula.json"
    path.write_text(json.dumps({"marches": {"marche": contracts}}), encoding="utf-8")
    assert _import(decp.api.engine, path).created == 6
    ranking = decp.api.client.get(
        "/v1/public-buyers/ranking", params={"year": 2031, "format": "csv"}
    )
    assert ranking.status_code == 200 and ranking.headers["content-type"].startswith("text/csv")
    assert "attachment" in ranking.headers["content-disposition"]
    header, *rows = _csv_rows(ranking.text)
    assert header[:3] == ["Rang", "SIRET", "Acheteur"]
    assert rows == [[*rows[0][:2], "'" + name, *rows[0][3:]]] and rows[0][0] == "1"
    assert rows[0][header.index("Marchés inclusifs")] == "6"
    buyer = decp.api.client.get(f"/v1/public-buyers/{siret}", params={"format": "csv"})
    header, *rows = _csv_rows(buyer.text)
    assert header[0] == "Année" and rows[0][0] == "2031" and rows[0][2] == "'" + name


@pytest.mark.postgres
def test_postgres_gives_the_same_figures(decp: Decp, new_postgres_database: str) -> None:
    engine = load_catalog(new_postgres_database)
    try:
        report = _import(engine, decp.json_path)
        assert report.read == decp.report.read and report.rejected == decp.report.rejected
        expected = brute_force(decp.json_path, engine)
        rows = {(r[0], r[1]): r for r in _snapshot(engine)}
        assert set(rows) == set(expected)
        for key, row in rows.items():
            figures = dict(zip(DecpBuyerYear.model_fields, row, strict=False))
            want = expected[key]
            assert figures["contracts"] == want["contracts"]
            assert figures["with_social"] == want["with_social"]
            assert figures["inclusive_contracts"] == want["inclusive"]
            assert figures["amount_eur"] == pytest.approx(want["amount"], abs=0.01)
            assert figures["region_code"] == want["region"]
        # The ranking's SQL (window over the bands) orders and ranks the same on PostgreSQL.
        with Session(engine) as session:
            ranking = decp_service.ranking(session, YEAR, None, None, None)
        assert [(i["siret"], i["rank"]) for i in ranking["items"]] == [
            (i["siret"], i["rank"]) for i in _all_pages(decp.api, year=YEAR)
        ]
    finally:
        engine.dispose()
