"""The spend dashboard on real backends (SQLite, PostgreSQL, the real catalog behind its own
Meilisearch index): a year of 20,000 generated spend lines gives totals and breakdowns equal to
a brute-force computation over the same rows; drills, years, gaps, categories and sites."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import Session, select

from services.common.identity import Role
from services.common.state import state_of
from services.common.text import fold
from services.sourcing.spend.models import (
    SpendFile,
    SpendLine,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)
from services.sourcing.state import SourcingState
from tests.catalog.api_support import SignedIdentity
from tests.sourcing.projects_support import CLEANING, WEBSITE, Projects, buyer, projects, siret

__all__ = ["projects"]

INCLUSIVE = {"siret", "siren", "confirmed"}
CATEGORIES = ("Nettoyage", "Informatique", "Traiteur", "Fournitures de bureau", "")
ENTITIES = ("Siège", "Usine de Lyon", "Agence 93", "")
SITE_POSTCODES = ("69003", "93200", "75011", None)


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


def catalog_structures(projects: Projects, count: int) -> list[dict[str, Any]]:
    """Real structures of the test catalog, with a SIRET, of every kind the search finds."""
    found: dict[int, dict[str, Any]] = {}
    for kind in ("EI", "ACI", "AI", "ETTI", "EA", "ESAT", "GEIQ"):
        hits = projects.sourcing.get("/v1/search", params={"kind": kind, "per_page": 40}).json()
        for hit in hits["hits"]:
            if hit["siret"]:
                found[hit["id"]] = hit
    assert len(found) >= count // 2, len(found)
    return list(found.values())[:count]


def suppliers(structures: Sequence[dict[str, Any]], made_up: int) -> list[Supplier]:
    """Real structures matched by SIRET (a few by SIREN), and made-up suppliers with valid
    SIRETs matched to nothing or only suggested."""
    found = []
    for position, hit in enumerate(structures):
        if position % 7 == 0:
            siren = hit["siret"][:9]
            found.append(Supplier(f"siren:{siren}", hit["name"], "siren", None, siren, hit))
        else:
            found.append(Supplier(hit["siret"], hit["name"], "siret", hit["siret"], None, hit))
    for position in range(made_up):
        number = siret()
        match = "suggested" if position % 5 == 0 else "none"
        found.append(Supplier(number, f"Fournisseur {position}", match, number, number[:9]))
    return found


def generate(year: int, pool: Sequence[Supplier], rows: int, seed: int) -> Year:
    rng = random.Random(seed)
    made = Year(year)
    for _ in range(rows):
        cents = rng.randint(100, 2_000_000) * (-1 if rng.random() < 0.03 else 1)
        made.rows.append(
            Row(
                rng.choice(pool),
                cents,
                rng.choice(CATEGORIES),
                rng.choice(ENTITIES),
                rng.choice(SITE_POSTCODES),
            )
        )
    return made


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


@pytest.fixture(scope="module")
def spend(projects: Projects) -> Iterator[Spend]:
    """An organisation with 20,000 lines in 2025 and 3,000 in 2024."""
    owner = buyer(f"rse-{id(projects)}", Role.PRIVATE_BUYER)
    organisation = projects.organisation(owner, "entreprise", name="Groupe Exemple")
    pool = suppliers(catalog_structures(projects, 80), 400)
    years = {2025: generate(2025, pool, 20_000, 17), 2024: generate(2024, pool[::2], 3_000, 24)}
    for made in years.values():
        store(projects, organisation["id"], made)
    yield Spend(projects, owner, organisation["id"], years)


def test_totals_and_every_breakdown_equal_a_brute_force_computation(spend: Spend) -> None:
    view = spend.get("dashboard", year=2025).json()
    assert view["year"] == 2025 and view["filters"] == {"category": None, "buying_entity": None}
    assert_matches(view, brute_force(spend.years[2025].rows))
    assert view["totals"]["lines"] == 20_000
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
        "dashboard", year=2025, category="Informatique", buying_entity="Agence 93"
    ).json()
    rows = [
        r for r in spend.years[2025].rows if (r.category, r.entity) == ("Informatique", "Agence 93")
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
    drilled = spend.get("dashboard", year=2024, category="Traiteur").json()
    rows = [r for r in spend.years[2024].rows if r.category == "Traiteur"]
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
    assert spend.get("dashboard", staff, year=2025).json()["totals"]["lines"] == 20_000
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
            "mappings": [{"label": "Traiteur", "sector": None}, {"label": "X", "sector": "nope"}]
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
