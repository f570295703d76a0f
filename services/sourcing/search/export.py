"""Export of a whole result set, as CSV or XLSX, read page by page from the index."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import xlsxwriter

from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.service import SearchRequest, filters_for

PAGE = 1000
COLUMNS = (
    ("id", "Identifiant"),
    ("name", "Raison sociale"),
    ("brand", "Enseigne"),
    ("kind", "Type"),
    ("kind_label", "Type (libellé)"),
    ("siret", "SIRET"),
    ("finess", "FINESS"),
    ("address", "Adresse"),
    ("postcode", "Code postal"),
    ("city", "Commune"),
    ("department_code", "Département"),
    ("region_name", "Région"),
    ("sectors", "Secteurs"),
    ("presta_types", "Types de prestation"),
    ("website", "Site web"),
)
SOURCES_LINE = (
    "Données : ASP (SIAE), FINESS/DREES (ESAT), INSEE, La Poste, IGN — Licence Ouverte 2.0"
)


def safe_cell(value: Any) -> str:
    """Text a spreadsheet will not run: cells starting with = + - @ (or a tab/CR) are escaped."""
    if value is None:
        return ""
    text = "|".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def documents(
    engine: SearchEngine, request: SearchRequest, radius_values: list[int]
) -> AsyncIterator[dict[str, Any]]:
    filters = filters_for(request, radius_values) or None
    page = 1
    while True:
        result = await engine.search(
            request.q,
            filter=filters,
            page=page,
            hits_per_page=PAGE,
            attributes_to_retrieve=[name for name, _ in COLUMNS],
            sort=["name:asc"],
        )
        for hit in result.hits:
            yield hit
        if page >= (result.total_pages or 0):
            return
        page += 1


async def csv_chunks(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")  # so that spreadsheet software reads UTF-8
    writer.writerow([label for _, label in COLUMNS])
    count = 0
    async for row in rows:
        writer.writerow([safe_cell(row.get(name)) for name, _ in COLUMNS])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    writer.writerow([SOURCES_LINE])
    yield buffer.getvalue().encode()


async def xlsx_file(rows: AsyncIterator[dict[str, Any]]) -> tempfile._TemporaryFileWrapper[bytes]:
    """Written row by row to a temporary file (constant memory), then streamed from it."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the caller)
    workbook = xlsxwriter.Workbook(
        handle.name, {"constant_memory": True, "strings_to_formulas": False}
    )
    sheet = workbook.add_worksheet("Fournisseurs")
    bold = workbook.add_format({"bold": True})
    for column, (_, label) in enumerate(COLUMNS):
        sheet.write_string(0, column, label, bold)
    line = 1
    async for row in rows:
        for column, (name, _) in enumerate(COLUMNS):
            sheet.write_string(line, column, safe_cell(row.get(name)))
        line += 1
    sheet.write_string(line + 1, 0, SOURCES_LINE)
    workbook.close()
    handle.seek(0)
    return handle
