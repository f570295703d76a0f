"""The spend dashboard on real backends (SQLite, PostgreSQL, the real catalog behind its own
Meilisearch index): a year of 20,000 generated spend lines gives totals and breakdowns equal to
a brute-force computation over the same rows; drills, years, gaps, categories and sites."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from bench.spend_file import CATEGORIES, MAPPING, SpendRow, spend_rows, write_csv
from services.common.identity import Role
from services.common.state import state_of
from services.common.text import fold
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.spend.models import (
    SpendFile,
    SpendLine,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, SignedIdentity
from tests.sourcing.projects_support import CLEANING, WEBSITE, Projects, buyer, projects, siret
from tests.support import IDENTITY_SECRET

__all__ = ["projects"]

INCLUSIVE = {"siret", "siren", "confirmed"}


@dataclass
class Supplier:
    key: str
    name: str
    match: str
    siret: str | None = None
    siren: str | None = None
    structure: dict[str, Any] | None = None


@dataclass
class Row:
    supplier: Supplier
    cents: int
    category: str
    entity: str
    site_postcode: str | None


@dataclass
class Year:
    """A year of spend as the generator made it, to compute every figure by brute force."""

    year: int
    rows: list[Row] = field(default_factory=list)


def engine_of(projects: Projects) -> Any:
    return state_of(projects.sourcing.app, SourcingState).engine  # type: ignore[arg-type]


def store(projects: Projects, organisation_id: int, made: Year) -> int:
    """The year as an active import of the organisation (the previous one replaced): its lines
    and its suppliers aggregated, as the import writes them."""
    with Session(engine_of(projects)) as session:
        for previous in session.exec(
            select(SpendUpload).where(
                SpendUpload.organisation_id == organisation_id,
                SpendUpload.year == made.year,
                SpendUpload.status == UploadStatus.ACTIVE,
            )
        ):
            previous.status = UploadStatus.REPLACED
            session.add(previous)
        stored = SpendFile(
            organisation_id=organisation_id,
            name=f"depenses-{made.year}.csv",
            sha256="0" * 64,
            format="csv",
            size_bytes=1,
            stored_path="spend/test.csv",
            columns=[],
            uploaded_by="test",
        )
        session.add(stored)
        session.flush()
        assert stored.id is not None
        total = sum(r.cents for r in made.rows)
        upload = SpendUpload(
            organisation_id=organisation_id,
            file_id=stored.id,
            year=made.year,
            status=UploadStatus.ACTIVE,
            rows_read=len(made.rows),
            rows_accepted=len(made.rows),
            total_cents=total,
            started_by="test",
        )
        session.add(upload)
        session.flush()
        assert upload.id is not None
        per_key: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        session.bulk_insert_mappings(
            SpendLine,  # type: ignore[arg-type]
            [
                {
                    "upload_id": upload.id,
                    "line": line,
                    "supplier_key": r.supplier.key,
                    "siret": r.supplier.siret,
                    "siren": r.supplier.siren,
                    "supplier_name": r.supplier.name,
                    "amount_cents": r.cents,
                    "category": r.category,
                    "buying_entity": r.entity,
                    "site_postcode": r.site_postcode,
                }
                for line, r in enumerate(made.rows, start=2)
            ],
        )
        seen: dict[str, Supplier] = {}
        for r in made.rows:
            per_key[r.supplier.key][0] += r.cents
            per_key[r.supplier.key][1] += 1
            seen[r.supplier.key] = r.supplier
        for key, (cents, lines) in per_key.items():
            supplier = seen[key]
            hit = supplier.structure or {}
            matched = supplier.match in INCLUSIVE
            session.add(
                SpendSupplier(
                    upload_id=upload.id,
                    supplier_key=key,
                    siret=supplier.siret,
                    siren=supplier.siren,
                    name=supplier.name,
                    lines=lines,
                    amount_cents=cents,
                    match=supplier.match,
                    structure_id=hit.get("id") if matched else None,
                    structure_name=hit.get("name"),
                    structure_siret=hit.get("siret"),
                    kind=hit.get("kind"),
                    family=hit.get("family"),
                    region_code=hit.get("region_code"),
                    department_code=hit.get("department_code"),
                    is_qpv=hit.get("is_qpv"),
                    is_zrr=hit.get("is_zrr"),
                )
            )
        session.commit()
        return upload.id


def euros(cents: int) -> float:
    return round(cents / 100, 2)


def brute_force(rows: Iterable[Row]) -> dict[str, Any]:
    """Every dashboard figure, the slow obvious way, from the generated rows."""
    rows = list(rows)
    total = sum(r.cents for r in rows)
    by_supplier: dict[str, int] = defaultdict(int)
    kinds: dict[str, Supplier] = {}
    for r in rows:
        by_supplier[r.supplier.key] += r.cents
        kinds[r.supplier.key] = r.supplier
    inclusive = {k for k, s in kinds.items() if s.match in INCLUSIVE}
    inclusive_cents = sum(by_supplier[k] for k in inclusive)

    def breakdown(key_of: Any) -> dict[str, tuple[float, int]]:
        cents: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for k in inclusive:
            for group in key_of(kinds[k].structure or {}):
                cents[group] += by_supplier[k]
                count[group] += 1
        return {g: (euros(c), count[g]) for g, c in cents.items()}

    def per_line(attribute: str) -> dict[str, tuple[float, float, int, int]]:
        groups: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            groups[getattr(r, attribute)].append(r)
        return {
            g: (
                euros(sum(r.cents for r in members)),
                euros(sum(r.cents for r in members if r.supplier.key in inclusive)),
                len({r.supplier.key for r in members}),
                len({r.supplier.key for r in members if r.supplier.key in inclusive}),
            )
            for g, members in groups.items()
        }

    return {
        "totals": {
            "spend_eur": euros(total),
            "inclusive_eur": euros(inclusive_cents),
            "inclusive_share": inclusive_cents / total,
            "suppliers": len(by_supplier),
            "inclusive_suppliers": len(inclusive),
            "inclusive_supplier_share": len(inclusive) / len(by_supplier),
            "lines": len(rows),
        },
        "by_family": breakdown(lambda s: [s["family"]]),
        "by_kind": breakdown(lambda s: [s["kind"]]),
        "by_region": breakdown(lambda s: [s["region_code"] or ""]),
        "by_territory": breakdown(
            lambda s: [k for k in ("qpv", "zrr") if s[f"is_{k}"]] or ["other"]
        ),
        "by_category": per_line("category"),
        "by_buying_entity": per_line("entity"),
        "suppliers": {k: euros(by_supplier[k]) for k in inclusive},
    }


def rows_of(view: dict[str, Any], name: str) -> dict[str, tuple[float, int]]:
    return {r["key"]: (r["spend_eur"], r["suppliers"]) for r in view[name]}


def assert_matches(view: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected["totals"].items():
        assert view["totals"][key] == pytest.approx(value), key
    for name in ("by_family", "by_kind", "by_region"):
        assert rows_of(view, name) == expected[name], name
    territory = rows_of(view, "by_territory")
    assert {k: v for k, v in territory.items() if v != (0, 0)} == expected["by_territory"]
    total = view["totals"]["spend_eur"]
    for row in view["by_kind"]:
        assert row["share"] == pytest.approx(row["spend_eur"] / total, abs=1e-6)
    for name in ("by_category", "by_buying_entity"):
        got = {
            r["key"]: (r["spend_eur"], r["inclusive_eur"], r["suppliers"], r["inclusive_suppliers"])
            for r in view[name]
        }
        assert got == expected[name], name
    assert {s["key"]: s["amount_eur"] for s in view["suppliers"]} == expected["suppliers"]
    amounts = [s["amount_eur"] for s in view["suppliers"]]
    assert amounts == sorted(amounts, reverse=True)


@dataclass
class Spend:
    projects: Projects
    owner: SignedIdentity
    organisation_id: int
    years: dict[int, Year]

    def get(self, path: str, who: SignedIdentity | None = None, **params: Any) -> Any:
        response = self.projects.sourcing.get(
            f"/v1/organisations/{self.organisation_id}/spend/{path}",
            params=params,
            headers=who or self.owner,
        )
        assert response.status_code == 200, response.text
        return response


def import_file(
    projects: Projects, who: SignedIdentity, oid: int, content: bytes, year: int
) -> dict[str, Any]:
    """The file uploaded and imported through the API, waiting for the import to finish."""
    client = projects.sourcing
    sent = client.post(
        f"/v1/organisations/{oid}/spend/files",
        params={"name": f"depenses-{year}.csv"},
        content=content,
        headers={**who, "content-type": "application/octet-stream"},
    )
    assert sent.status_code == 201, sent.text
    started = client.post(
        f"/v1/organisations/{oid}/spend/uploads",
        json={"file_id": sent.json()["id"], "year": year, "mapping": MAPPING},
        headers=who,
    )
    assert started.status_code in (201, 202), started.text
    upload = started.json()
    for _ in range(600):
        if upload["status"] != "running":
            break
        time.sleep(0.5)
        upload = client.get(f"/v1/organisations/{oid}/spend/uploads/{upload['id']}", headers=who)
        upload = upload.json()
    assert upload["status"] == "active", upload
    return dict(upload)


def as_rows(year: int, generated: Sequence[SpendRow], identities: Sequence[dict[str, Any]]) -> Year:
    """The accepted rows of a generated file, with the structure each must match."""
    by_id = {int(i["id"]): i for i in identities}
    made = Year(year)
    for row in generated:
        if row.refused:
            continue
        structure = by_id[row.structure_id] if row.match in INCLUSIVE and row.structure_id else None
        supplier = Supplier(row.key, row.name, row.match, structure=structure)
        made.rows.append(
            Row(supplier, row.amount_cents, row.category, row.buying_entity, row.site_postcode)
        )
    return made


@pytest.fixture(scope="module")
def spend(projects: Projects, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spend]:
    """An organisation importing, through the API, a generated file of 20,000 rows for 2025 and
    one of 3,000 for 2024 (real SIRETs of the catalog mixed with made-up valid ones); sourcing
    reaches the catalog in-process, as it does over HTTP in production."""
    transport = httpx.ASGITransport(app=projects.catalog.app)
    directory = CatalogDirectory(
        httpx.AsyncClient(transport=transport, base_url="http://catalog", timeout=60),
        IDENTITY_SECRET,
    )
    state = state_of(projects.sourcing.app, SourcingState)  # type: ignore[arg-type]
    previous = state.runner.directory
    state.runner.directory = directory
    identities = projects.catalog.get("/v1/structures/identities", headers=STAFF).json()
    owner = buyer(f"rse-{id(projects)}", Role.PRIVATE_BUYER)
    organisation = projects.organisation(owner, "entreprise", name="Groupe Exemple")
    folder = tmp_path_factory.mktemp("spend_files")
    years = {}
    for year, count, seed in ((2025, 20_000, 17), (2024, 3_000, 24)):
        generated = spend_rows(count, identities, year, seed)
        content = write_csv(folder / f"{year}.csv", generated).read_bytes()
        upload = import_file(projects, owner, organisation["id"], content, year)
        years[year] = as_rows(year, generated, identities)
        assert upload["rows_accepted"] == len(years[year].rows)
    yield Spend(projects, owner, organisation["id"], years)
    state.runner.directory = previous


def test_totals_and_every_breakdown_equal_a_brute_force_computation(spend: Spend) -> None:
    view = spend.get("dashboard", year=2025).json()
    assert view["year"] == 2025 and view["filters"] == {"category": None, "buying_entity": None}
    assert_matches(view, brute_force(spend.years[2025].rows))
    # 20,000 rows, less the malformed ones the import refused.
    assert view["totals"]["lines"] == len(spend.years[2025].rows) > 19_500
    assert 0 < view["totals"]["inclusive_share"] < 1
    kinds = {r["key"]: r["label"] for r in view["by_kind"]}
    assert kinds.get("EI", "Entreprise d'insertion") == "Entreprise d'insertion"
    assert all(r["label"] != r["key"] for r in view["by_region"] if r["key"])


def test_a_category_drill_narrows_every_figure(spend: Spend) -> None:
    whole = spend.get("dashboard", year=2025).json()
    drilled = spend.get("dashboard", year=2025, category="Nettoyage").json()
    rows = [r for r in spend.years[2025].rows if r.category == "Nettoyage"]
    assert drilled["filters"]["category"] == "Nettoyage"
    assert_matches(drilled, brute_force(rows))
    assert drilled["totals"]["spend_eur"] < whole["totals"]["spend_eur"]
    assert [r["key"] for r in drilled["by_category"]] == ["Nettoyage"]
    both = spend.get(
        "dashboard", year=2025, category="Informatique", buying_entity="Agence de Bobigny"
    ).json()
    rows = [
        r
        for r in spend.years[2025].rows
        if (r.category, r.entity) == ("Informatique", "Agence de Bobigny")
    ]
    assert_matches(both, brute_force(rows))
    empty = spend.get("dashboard", year=2025, category="Rien de tel").json()
    assert empty["totals"]["spend_eur"] == 0 and empty["totals"]["inclusive_share"] == 0
    assert empty["suppliers"] == [] and empty["by_category"] == []


def test_year_over_year_lists_every_active_year(spend: Spend) -> None:
    view = spend.get("dashboard", year=2025).json()
    assert [y["year"] for y in view["years"]] == [2024, 2025]
    for entry in view["years"]:
        expected = brute_force(spend.years[entry["year"]].rows)["totals"]
        assert entry["spend_eur"] == expected["spend_eur"]
        assert entry["inclusive_eur"] == expected["inclusive_eur"]
        assert entry["suppliers"] == expected["suppliers"]
        assert entry["inclusive_suppliers"] == expected["inclusive_suppliers"]
    drilled = spend.get("dashboard", year=2024, category="Restauration").json()
    rows = [r for r in spend.years[2024].rows if r.category == "Restauration"]
    assert drilled["years"][0]["spend_eur"] == euros(sum(r.cents for r in rows))
    missing = spend.projects.sourcing.get(
        f"/v1/organisations/{spend.organisation_id}/spend/dashboard",
        params={"year": 2019},
        headers=spend.owner,
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_only_members_and_staff_read_the_dashboard(spend: Spend) -> None:
    path = f"/v1/organisations/{spend.organisation_id}/spend"
    stranger = buyer("concurrent", Role.PRIVATE_BUYER)
    for method, suffix, body in (
        ("GET", "/dashboard?year=2025", None),
        ("GET", "/categories", None),
        ("PUT", "/sites", {"departments": ["93"]}),
        ("PUT", "/categories", {"mappings": [{"label": "Nettoyage", "sector": CLEANING}]}),
        ("GET", "/export.csv?year=2025", None),
    ):
        refused = spend.projects.sourcing.request(
            method, path + suffix, json=body, headers=stranger
        )
        assert refused.status_code == 403, (suffix, refused.text)
        assert "Nettoyage" not in refused.text
    staff = buyer("staff", Role.STAFF)
    assert spend.get("dashboard", staff, year=2025).json()["totals"]["lines"] == len(
        spend.years[2025].rows
    )
    written = spend.projects.sourcing.put(
        f"{path}/sites", json={"departments": ["93"]}, headers=staff
    )
    assert written.status_code == 403


def test_categories_suggest_a_sector_and_refuse_an_unknown_one(spend: Spend) -> None:
    items = {i["label"]: i for i in spend.get("categories", year=2025).json()["items"]}
    assert set(items) == {c for c in CATEGORIES if c}
    assert items["Nettoyage"]["suggested_sector"] == CLEANING
    assert items["Nettoyage"]["sector"] is None
    expected = euros(sum(r.cents for r in spend.years[2025].rows if r.category == "Nettoyage"))
    assert items["Nettoyage"]["spend_eur"] == expected
    path = f"/v1/organisations/{spend.organisation_id}/spend/categories"
    refused = spend.projects.sourcing.put(
        path,
        json={
            "mappings": [
                {"label": "Restauration", "sector": None},
                {"label": "X", "sector": "nope"},
            ]
        },
        headers=spend.owner,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/body/mappings/1/sector"
    assert "secteur inconnu" in refused.json()["errors"][0]["detail"]
    sites = spend.projects.sourcing.put(
        f"/v1/organisations/{spend.organisation_id}/spend/sites",
        json={"departments": ["69", "2A", "999"]},
        headers=spend.owner,
    )
    assert sites.status_code == 422
    assert sites.json()["errors"][0]["pointer"] == "/body/departments/2"
    assert spend.get("sites").json() == {"departments": []}


def test_a_gap_appears_where_the_search_finds_structures_and_goes_with_an_inclusive_supplier(
    projects: Projects,
) -> None:
    owner = buyer(f"gaps-{id(projects)}", Role.PRIVATE_BUYER)
    organisation = projects.organisation(owner, "entreprise", name="Groupe Ménage")
    oid = organisation["id"]
    found = projects.sourcing.get(
        "/v1/search", params={"sector": CLEANING, "department": "93", "per_page": 1}
    ).json()
    assert found["total"] > 0
    plain = Supplier(siret(), "Propreté Générale", "none")
    plain.siret = plain.key
    label = "Ménage des bureaux"
    rows = [Row(plain, 120_000_00, label, "Siège", None), Row(plain, 30_000_00, label, "", "93200")]
    store(projects, oid, Year(2025, rows))
    path = f"/v1/organisations/{oid}/spend"
    assert projects.sourcing.put(
        f"{path}/sites", json={"departments": ["93", "69"]}, headers=owner
    ).json()["departments"] == [
        {"code": "69", "label": "Rhône (69)"},
        {"code": "93", "label": "Seine-Saint-Denis (93)"},
    ]
    view = projects.sourcing.get(f"{path}/dashboard?year=2025", headers=owner).json()
    assert view["gaps"] == [] and view["unmapped_categories"] == 1
    mapped = projects.sourcing.put(
        f"{path}/categories",
        json={"mappings": [{"label": label, "sector": CLEANING}]},
        headers=owner,
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["items"][0]["sector"] == CLEANING
    view = projects.sourcing.get(f"{path}/dashboard?year=2025", headers=owner).json()
    gaps = {g["department"]: g for g in view["gaps"]}
    assert view["unmapped_categories"] == 0
    assert gaps["93"] == {
        "category": label,
        "sector": CLEANING,
        "sector_label": "Nettoyage de locaux",
        "department": "93",
        "department_label": "Seine-Saint-Denis (93)",
        "spend_eur": 150_000.0,
        "available": found["total"],
        "search_url": f"{WEBSITE}/recherche?sector={CLEANING}&department=93",
    }
    in_69 = projects.sourcing.get(
        "/v1/search", params={"sector": CLEANING, "department": "69", "per_page": 1}
    ).json()["total"]
    assert ("69" in gaps) == (in_69 > 0)
    assert view["by_category"][0]["sector"] == CLEANING

    structure = found["hits"][0]
    inclusive = Supplier(structure["siret"], structure["name"], "siret", structure["siret"])
    inclusive.structure = structure
    store(projects, oid, Year(2025, [*rows, Row(inclusive, 5_000_00, label, "", "93200")]))
    view = projects.sourcing.get(f"{path}/dashboard?year=2025", headers=owner).json()
    assert "93" not in {g["department"] for g in view["gaps"]}
    assert view["suppliers"][0]["structure_id"] == structure["id"]


def test_folded_words_map_a_category_to_its_sector(projects: Projects) -> None:
    """The suggestion reads words as the search folds them (accents, case, synonyms)."""
    owner = buyer(f"mots-{id(projects)}", Role.PRIVATE_BUYER)
    organisation = projects.organisation(owner, "entreprise", name="Groupe Mots")
    plain = Supplier(siret(), "Fournisseur", "none")
    labels = ("NETTOYAGE DE LOCAUX", "Ménage", "Espaces verts - entretien", "Zzz")
    store(projects, organisation["id"], Year(2025, [Row(plain, 100, c, "", None) for c in labels]))
    items = projects.sourcing.get(
        f"/v1/organisations/{organisation['id']}/spend/categories", headers=owner
    ).json()["items"]
    suggested = {i["label"]: i["suggested_sector"] for i in items}
    assert suggested["NETTOYAGE DE LOCAUX"] == CLEANING
    assert suggested["Ménage"] == CLEANING
    assert suggested["Espaces verts - entretien"] == "creation-et-entretien-des-espaces-verts"
    assert suggested["Zzz"] is None
    assert fold("Ménage") == "menage"
