"""The spend dashboard as files for the RSE report: a CSV of the year's suppliers (UTF-8 with
BOM, semicolons, every cell safe from formulas) and an XLSX with one sheet per breakdown,
the suppliers and the years."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import xlsxwriter
from sqlalchemy import select
from sqlmodel import Session

from services.common.spreadsheet import safe_cell
from services.sourcing.spend.dashboard import (
    INCLUSIVE,
    Filters,
    active_upload,
    euros,
    share,
    supplier_figures,
)

MATCH_LABELS = {
    "siret": "SIRET",
    "siren": "SIREN (autre établissement)",
    "confirmed": "Confirmé par l'acheteur",
    "suggested": "Suggestion à confirmer",
    "none": "Aucun",
}
SUPPLIER_COLUMNS = (
    "Clé fournisseur",
    "Fournisseur",
    "SIRET",
    "SIREN",
    "Code postal",
    "Lignes",
    "Montant HT (€)",
    "Part de la dépense",
    "Rapprochement",
    "Inclusif",
    "Structure (identifiant)",
    "Structure",
    "SIRET de la structure",
    "Type",
    "Famille",
    "Région",
    "Département",
    "QPV",
    "ZRR",
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


def supplier_rows(
    session: Session, organisation_id: int, year: int, filters: Filters
) -> list[dict[str, Any]]:
    """Every supplier of the year (inclusive or not), by amount descending, within the filters."""
    upload = active_upload(session, organisation_id, year)
    assert upload.id is not None
    f = supplier_figures(upload.id, filters).c
    rows = session.connection().execute(select(*f).order_by(f.amount.desc(), f.supplier_key))
    # PostgreSQL sums cents as numeric: integers here, as SQLite gives them.
    return [{**row._mapping, "amount": int(row.amount)} for row in rows]


def _supplier_values(row: Mapping[str, Any], total_cents: int) -> list[Any]:
    return [
        row["supplier_key"],
        row["name"],
        row["siret"],
        row["siren"],
        row["postcode"],
        row["lines"],
        euros(row["amount"]),
        share(row["amount"], total_cents),
        MATCH_LABELS.get(row["match"], row["match"]),
        "oui" if row["match"] in INCLUSIVE else "non",
        row["structure_id"],
        row["structure_name"],
        row["structure_siret"],
        row["kind"],
        row["family"],
        row["region_code"],
        row["department_code"],
        _yes_no(row["is_qpv"]),
        _yes_no(row["is_zrr"]),
    ]


def _decimal(value: float) -> str:
    """A French spreadsheet reads « 1234,56 » as a number."""
    return f"{value:.2f}".replace(".", ",")


def as_csv(rows: Sequence[Mapping[str, Any]]) -> Iterator[bytes]:
    """Streamed a thousand suppliers at a time: a year may hold tens of thousands."""
    total = sum(row["amount"] for row in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")  # so that spreadsheet software reads UTF-8
    writer.writerow(SUPPLIER_COLUMNS)
    for position, row in enumerate(rows, start=1):
        values = _supplier_values(row, total)
        cells = [safe_cell(v) for v in values]
        # Figures we computed are written as numbers: a credit note's « -156,43 » is no formula.
        cells[6] = _decimal(values[6])
        cells[7] = f"{values[7]:.6f}".replace(".", ",")
        writer.writerow(cells)
        if position % 1000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


BREAKDOWNS = (
    ("Par famille", "by_family"),
    ("Par type", "by_kind"),
    ("Par région", "by_region"),
    ("QPV-ZRR", "by_territory"),
)
CATEGORY_SHEETS = (("Par catégorie", "by_category"), ("Par entité", "by_buying_entity"))
ROW_FIELDS = (
    ("Clé", "key"),
    ("Libellé", "label"),
    ("Dépense inclusive HT (€)", "spend_eur"),
    ("Fournisseurs inclusifs", "suppliers"),
    ("Part de la dépense totale", "share"),
)
CATEGORY_FIELDS = (
    ("Clé", "key"),
    ("Libellé", "label"),
    ("Dépense HT (€)", "spend_eur"),
    ("Dépense inclusive HT (€)", "inclusive_eur"),
    ("Part inclusive", "inclusive_share"),
    ("Fournisseurs", "suppliers"),
    ("Fournisseurs inclusifs", "inclusive_suppliers"),
    ("Secteur", "sector"),
)
YEAR_FIELDS = (
    ("Année", "year"),
    ("Dépense HT (€)", "spend_eur"),
    ("Dépense inclusive HT (€)", "inclusive_eur"),
    ("Part inclusive", "inclusive_share"),
    ("Fournisseurs", "suppliers"),
    ("Fournisseurs inclusifs", "inclusive_suppliers"),
)
TOTAL_FIELDS = (
    ("Dépense totale HT (€)", "spend_eur"),
    ("Dépense inclusive HT (€)", "inclusive_eur"),
    ("Part inclusive de la dépense", "inclusive_share"),
    ("Fournisseurs", "suppliers"),
    ("Fournisseurs inclusifs", "inclusive_suppliers"),
    ("Part inclusive des fournisseurs", "inclusive_supplier_share"),
    ("Lignes", "lines"),
)
GAP_FIELDS = (
    ("Catégorie", "category"),
    ("Secteur", "sector_label"),
    ("Département", "department_label"),
    ("Dépense HT (€)", "spend_eur"),
    ("Structures inclusives trouvées", "available"),
    ("Recherche", "search_url"),
)


class _Sheets:
    """Cells written as numbers when they are, as formula-safe text otherwise."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.bold = workbook.add_format({"bold": True})
        self.money = workbook.add_format({"num_format": "#,##0.00"})
        self.percent = workbook.add_format({"num_format": "0.0%"})

    def cell(self, sheet: Any, row: int, column: int, header: str, value: Any) -> None:
        if isinstance(value, bool) or value is None or not isinstance(value, int | float):
            sheet.write_string(row, column, safe_cell(value))
        elif "Part" in header:
            sheet.write_number(row, column, value, self.percent)
        elif "€" in header:
            sheet.write_number(row, column, value, self.money)
        else:
            sheet.write_number(row, column, value)

    def table(
        self, name: str, fields: Sequence[tuple[str, str]], items: Sequence[Mapping[str, Any]]
    ) -> None:
        sheet = self.workbook.add_worksheet(name)
        for column, (header, _) in enumerate(fields):
            sheet.write_string(0, column, header, self.bold)
            sheet.set_column(column, column, max(12, len(header) + 2))
        for line, item in enumerate(items, start=1):
            for column, (header, key) in enumerate(fields):
                self.cell(sheet, line, column, header, item.get(key))


def as_xlsx(dashboard: Mapping[str, Any], suppliers: Sequence[Mapping[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheets = _Sheets(workbook)
    totals = dashboard["totals"]
    summary = workbook.add_worksheet("Synthèse")
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 18)
    summary.write_string(0, 0, "Année", sheets.bold)
    summary.write_number(0, 1, dashboard["year"])
    for line, (header, key) in enumerate(TOTAL_FIELDS, start=1):
        summary.write_string(line, 0, header, sheets.bold)
        sheets.cell(summary, line, 1, header, totals[key])
    for name, key in BREAKDOWNS:
        sheets.table(name, ROW_FIELDS, dashboard[key])
    for name, key in CATEGORY_SHEETS:
        sheets.table(name, CATEGORY_FIELDS, dashboard[key])
    sheets.table("Années", YEAR_FIELDS, dashboard["years"])
    sheets.table("Manques", GAP_FIELDS, dashboard.get("gaps") or [])
    total = sum(row["amount"] for row in suppliers)
    sheet = workbook.add_worksheet("Fournisseurs")
    for column, header in enumerate(SUPPLIER_COLUMNS):
        sheet.write_string(0, column, header, sheets.bold)
    for line, row in enumerate(suppliers, start=1):
        for column, (header, value) in enumerate(
            zip(SUPPLIER_COLUMNS, _supplier_values(row, total), strict=True)
        ):
            sheets.cell(sheet, line, column, header, value)
    workbook.close()
    return buffer.getvalue()
