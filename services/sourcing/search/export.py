"""Export of a whole result set, as CSV or XLSX, read page by page from the index."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import xlsxwriter

from services.common.spreadsheet import safe_cell as safe_cell  # its users import it from here
from services.domain.kinds import PRESTA_TYPE_LABELS
from services.domain.search import SOURCES
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.service import SearchRequest, filters_for

PAGE = 1000
_PRESTA_LABELS = {p.value: label for p, label in PRESTA_TYPE_LABELS.items()}
# (index field, column label). No contact column: the catalog holds no published contact (its
# contact address is private, for claims), so the website is how a buyer gets in touch.
COLUMNS = (
    ("id", "Identifiant"),
    ("name", "Raison sociale"),
    ("brand", "Enseigne"),
    ("kind", "Type"),
    ("kind_label", "Type (libellé)"),
    ("siret", "SIRET"),
    ("finess", "FINESS"),
    ("website", "Site web"),
    ("address", "Adresse"),
    ("postcode", "Code postal"),
    ("city", "Commune"),
    ("department_code", "Département"),
    ("department_name", "Département (nom)"),
    ("region_name", "Région"),
    ("sector_names", "Secteurs"),
    ("presta_types", "Types de prestation"),
    # On every row rather than a line after the data: spreadsheets take such a note for a row
    # of data, and sorting or filtering would part it from what it cites.
    ("sources", "Sources"),
)
_RETRIEVED = [name for name, _ in COLUMNS if name != "sources"]


def cell(document: dict[str, Any], name: str) -> Any:
    """A column's value for one structure, in words people read."""
    if name == "sources":
        return SOURCES
    if name == "presta_types":
        return " ; ".join(_PRESTA_LABELS.get(p, p) for p in document.get(name) or [])
    if name == "sector_names":
        return " ; ".join(document.get(name) or [])
    return document.get(name)


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
            attributes_to_retrieve=_RETRIEVED,
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
        writer.writerow([safe_cell(cell(row, name)) for name, _ in COLUMNS])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
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
            sheet.write_string(line, column, safe_cell(cell(row, name)))
        line += 1
    workbook.close()
    handle.seek(0)
    return handle
