"""The spend dashboard's files, read back as their readers would: the CSV by a CSV reader, the
XLSX by openpyxl, the RSE summary PDF by Poppler (every page drawn, its text carrying the
figures); each carries the dashboard's own figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bench.spend_file import spend_rows
from services.common.identity import Role
from services.common.pdf import euros as pdf_euros
from tests.catalog.api_support import STAFF, SignedIdentity
from tests.common.pdf_support import page_count, pdf_text, render_pages
from tests.sourcing.projects_support import CLEANING, Projects, buyer, projects, siret
from tests.sourcing.test_spend_dashboard import (
    INCLUSIVE,
    Row,
    Supplier,
    as_rows,
    brute_force,
    euros,
    store,
)

__all__ = ["projects"]

FORMULA = '=HYPERLINK("http://evil.example","clic")'


@dataclass
class Exported:
    projects: Projects
    owner: SignedIdentity
    organisation_id: int
    rows: list[Row]
    dashboard: dict[str, Any]

    def get(self, path: str, **params: Any) -> Any:
        response = self.projects.sourcing.get(
            f"/v1/organisations/{self.organisation_id}/spend/{path}",
            params={"year": 2025, **params},
            headers=self.owner,
        )
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="module")
def exported(projects: Projects) -> Iterator[Exported]:
    """A year of 3,000 generated lines, a supplier whose name is a formula, a site in the 93
    and cleaning mapped to its sector."""
    identities = projects.catalog.get("/v1/structures/identities", headers=STAFF).json()
    owner = buyer(f"export-{id(projects)}", Role.PRIVATE_BUYER)
    organisation = projects.organisation(owner, "entreprise", name="Groupe Export")
    oid = organisation["id"]
    made = as_rows(2025, spend_rows(3_000, identities, 2025, 41), identities)
    number = siret()
    hostile = Supplier(number, FORMULA, "none", number, number[:9])
    made.rows.append(Row(hostile, 12_345_67, "Nettoyage", "Siège", "93000"))
    store(projects, oid, made)
    path = f"/v1/organisations/{oid}/spend"
    assert (
        projects.sourcing.put(
            f"{path}/sites", json={"departments": ["93"]}, headers=owner
        ).status_code
        == 200
    )
    assert (
        projects.sourcing.put(
            f"{path}/categories",
            json={"mappings": [{"label": "Nettoyage", "sector": CLEANING}]},
            headers=owner,
        ).status_code
        == 200
    )
    view = projects.sourcing.get(f"{path}/dashboard?year=2025", headers=owner).json()
    yield Exported(projects, owner, oid, made.rows, view)


def _number(cell: str) -> float:
    return float(cell.replace(",", "."))


def test_the_csv_has_one_row_per_supplier_with_the_dashboards_figures(exported: Exported) -> None:
    response = exported.get("export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    expected = brute_force(exported.rows)
    assert len(table) == expected["totals"]["suppliers"]
    total = sum(_number(r["Montant HT (€)"]) for r in table)
    assert total == pytest.approx(exported.dashboard["totals"]["spend_eur"], abs=0.01)
    inclusive = {
        r["Clé fournisseur"]: _number(r["Montant HT (€)"]) for r in table if r["Inclusif"] == "oui"
    }
    assert inclusive == expected["suppliers"]
    by_key = {r["Clé fournisseur"]: r for r in table}
    assert {r["Rapprochement"] for r in table} <= {
        "SIRET",
        "SIREN (autre établissement)",
        "Suggestion à confirmer",
        "Aucun",
    }
    hostile = next(r for r in table if "HYPERLINK" in r["Fournisseur"])
    assert hostile["Fournisseur"] == "'" + FORMULA
    assert hostile["Montant HT (€)"] == "12345,67"
    matched = next(r for r in table if r["Inclusif"] == "oui")
    assert matched["Structure (identifiant)"] and matched["Type"]
    assert all(by_key[s["key"]]["Inclusif"] == "oui" for s in exported.dashboard["suppliers"])


def test_a_drilled_csv_counts_only_the_category(exported: Exported) -> None:
    table = list(
        csv.DictReader(
            io.StringIO(exported.get("export.csv", category="Restauration").text.lstrip("\ufeff")),
            delimiter=";",
        )
    )
    rows = [r for r in exported.rows if r.category == "Restauration"]
    assert sum(_number(r["Montant HT (€)"]) for r in table) == pytest.approx(
        euros(sum(r.cents for r in rows)), abs=0.01
    )
    assert len(table) == len({r.supplier.key for r in rows})


def test_the_xlsx_holds_every_breakdown_the_suppliers_and_the_years(exported: Exported) -> None:
    response = exported.get("export.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [
        "Synthèse",
        "Par famille",
        "Par type",
        "Par région",
        "QPV-ZRR",
        "Par catégorie",
        "Par entité",
        "Années",
        "Manques",
        "Fournisseurs",
    ]
    view = exported.dashboard

    def sheet(name: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in workbook[name].iter_rows(values_only=True)]

    summary = {row[0]: row[1] for row in sheet("Synthèse")}
    assert summary["Année"] == 2025
    assert summary["Dépense totale HT (€)"] == view["totals"]["spend_eur"]
    assert summary["Dépense inclusive HT (€)"] == view["totals"]["inclusive_eur"]
    assert summary["Part inclusive de la dépense"] == pytest.approx(
        view["totals"]["inclusive_share"]
    )
    assert summary["Fournisseurs inclusifs"] == view["totals"]["inclusive_suppliers"]
    for name, key in (("Par famille", "by_family"), ("Par type", "by_kind")):
        rows = sheet(name)[1:]
        assert [(r[0], r[2], r[3]) for r in rows] == [
            (x["key"], x["spend_eur"], x["suppliers"]) for x in view[key]
        ]
    categories = {r[0]: (r[2], r[3], r[7]) for r in sheet("Par catégorie")[1:]}
    assert categories == {
        x["key"]: (x["spend_eur"], x["inclusive_eur"], x["sector"] or "")
        for x in view["by_category"]
    }
    assert [r[0] for r in sheet("Années")[1:]] == [y["year"] for y in view["years"]]
    assert len(sheet("Manques")) == len(view["gaps"]) + 1
    suppliers = sheet("Fournisseurs")
    assert len(suppliers) - 1 == view["totals"]["suppliers"]
    header = suppliers[0]
    amount = header.index("Montant HT (€)")
    assert sum(r[amount] for r in suppliers[1:]) == pytest.approx(view["totals"]["spend_eur"])
    inclusive = [r for r in suppliers[1:] if r[header.index("Inclusif")] == "oui"]
    assert {r[0]: r[amount] for r in inclusive} == {
        s["key"]: s["amount_eur"] for s in view["suppliers"]
    }
    names = [r[header.index("Fournisseur")] for r in suppliers[1:]]
    assert "'" + FORMULA in names and FORMULA not in names


def test_the_rse_summary_renders_every_page_with_the_figures(
    exported: Exported, tmp_path: Path
) -> None:
    response = exported.get("summary.pdf")
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    pages = render_pages(pdf, tmp_path)
    assert len(pages) == page_count(pdf) >= 2
    text = " ".join(pdf_text(pdf).split())
    view = exported.dashboard
    for needed in (
        "Achats inclusifs 2025",
        "Groupe Export",
        "Chiffres clés",
        "Méthode et sources",
        " ".join(pdf_euros(view["totals"]["spend_eur"]).split()),
        " ".join(pdf_euros(view["totals"]["inclusive_eur"]).split()),
    ):
        assert needed in text, needed
    for row in view["by_kind"]:
        assert row["label"] in text
    for gap in view["gaps"]:
        assert gap["department_label"] in text
    assert all(s in INCLUSIVE for s in {s["match"] for s in view["suppliers"]})
