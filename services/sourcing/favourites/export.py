"""A favourite list as a spreadsheet: CSV (UTF-8 with BOM, semicolons) or XLSX, like the search
export, with the link to each structure's page."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

import xlsxwriter

from services.domain.search import SOURCES
from services.sourcing.favourites.models import FavouriteStructure
from services.sourcing.search.export import safe_cell

COLUMNS = (
    "Identifiant",
    "Raison sociale",
    "Type",
    "Type (libellé)",
    "SIRET",
    "Code postal",
    "Commune",
    "Département",
    "Ajoutée le",
    "Fiche",
    "Sources",
)


def _row(entry: FavouriteStructure, web_url: str) -> list[str]:
    added: datetime = entry.added_at
    values = (
        entry.structure_id,
        entry.name,
        entry.kind,
        entry.kind_label,
        entry.siret,
        entry.postcode,
        entry.city,
        entry.department_code,
        added.strftime("%Y-%m-%d"),
        f"{web_url}/structures/{entry.structure_id}",
        SOURCES,
    )
    return [safe_cell(v) for v in values]


def as_csv(entries: Sequence[FavouriteStructure], web_url: str) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet software reads UTF-8
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    writer.writerows(_row(entry, web_url) for entry in entries)
    return buffer.getvalue().encode()


def as_xlsx(entries: Sequence[FavouriteStructure], web_url: str, sheet_name: str) -> bytes:
    """In memory: a list holds a few hundred structures at most."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    # A sheet name is at most 31 characters, without []:*?/\ .
    title = "".join(c for c in sheet_name if c not in "[]:*?/\\")[:31].strip(" '") or "Favoris"
    sheet = workbook.add_worksheet(title)
    bold = workbook.add_format({"bold": True})
    for column, label in enumerate(COLUMNS):
        sheet.write_string(0, column, label, bold)
    for line, entry in enumerate(entries, start=1):
        for column, value in enumerate(_row(entry, web_url)):
            sheet.write_string(line, column, value)
    workbook.close()
    return buffer.getvalue()
