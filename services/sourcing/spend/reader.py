"""Reading a spend file row by row, whatever its form: an XLSX workbook (checked as a ZIP from
its bytes first, so that a zip bomb is refused before anything is decompressed) or a CSV text in
UTF-8 or Windows-1252 with its delimiter sniffed. Rows come with the file's own line numbers
(the header is line 1) and are never all held in memory."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from services.common.errors import AppError
from services.common.text import fold
from services.sourcing.spend.models import SpendFormat

GIB = 1024 * 1024 * 1024
# What a workbook may declare once decompressed, and how much more than its compressed size.
MAX_UNCOMPRESSED_BYTES = GIB
MAX_RATIO = 250
MAX_ZIP_ENTRIES = 10_000
MAX_COLUMNS = 500
PREVIEW_ROWS = 5
_DELIMITERS = (";", ",", "\t")
# Magic numbers of files people send by mistake: refused by name rather than read as text.
_BINARY_MAGIC = {
    b"%PDF": "un PDF",
    b"\xd0\xcf\x11\xe0": "un classeur Excel 97-2003 (.xls) : enregistrez-le en .xlsx ou en CSV",
    b"\x89PNG": "une image PNG",
    b"\xff\xd8\xff": "une image JPEG",
    b"GIF8": "une image GIF",
    b"\x1f\x8b": "une archive gzip",
}

Cell = str | int | float | date | datetime | bool | None


class SpendFileRefused(AppError):
    """The file as a whole cannot be read: empty, not a spreadsheet, a zip bomb..."""

    status, slug, title = 422, "spend-file-refused", "Fichier refusé"

    def __init__(self, detail: str, line: int | None = None) -> None:
        extra: dict[str, Any] = {
            "errors": [{"pointer": "/body", "field": "fichier", "detail": detail}]
        }
        if line is not None:
            extra["line"] = line
            extra["errors"][0]["line"] = line
        super().__init__(detail, **extra)


@dataclass(frozen=True)
class FileShape:
    """What a file is, learnt from its bytes: its format, encoding, delimiter and columns."""

    format: SpendFormat
    encoding: str | None
    delimiter: str | None
    columns: list[str]
    preview: list[list[str]]


def _check_zip(path: Path) -> None:
    """A workbook whose entries declare a sane total and ratio; anything else is refused before
    a byte is decompressed (the ZIP reader then never yields more than an entry declares)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpendFileRefused(
            "fichier ZIP illisible : ce n'est pas un classeur XLSX valide"
        ) from exc
    if "xl/workbook.xml" not in names:
        raise SpendFileRefused(
            "archive ZIP qui n'est pas un classeur XLSX (pas de xl/workbook.xml)"
        )
    if len(entries) > MAX_ZIP_ENTRIES:
        raise SpendFileRefused("classeur refusé : trop de parties dans l'archive")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SpendFileRefused("classeur refusé : plus de 1 Gio une fois décompressé")
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise SpendFileRefused(
                "classeur refusé : taux de compression anormal (bombe de décompression ?)"
            )


def _sniff_binary(head: bytes) -> None:
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise SpendFileRefused(f"le fichier est {what}, ni un CSV ni un XLSX")
    if b"\0" in head:
        raise SpendFileRefused("fichier binaire : ni un CSV ni un XLSX")


def is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8, read by chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(sample: str) -> str:
    """The candidate that splits the header into the most columns, the same count on the next
    lines; a semicolon when nothing tells (French spreadsheets' default)."""
    lines = sample.splitlines()[:20] or [""]
    best, best_score = ";", (0, 0)
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        if not rows:
            continue
        width = len(rows[0])
        steady = sum(1 for row in rows[1:] if len(row) == width)
        score = (width if width > 1 else 0, steady)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def text_of(cell: Cell) -> str:
    """A cell as the user reads it."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _columns(header: list[Cell]) -> list[str]:
    """Header cells as unique column names: a blank one is « colonne N », a repeated one numbered."""
    names: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(header, start=1):
        base = text_of(cell)[:100] or f"colonne {position}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base} ({n})", n + 1
        seen.add(name)
        names.append(name)
    while names and names[-1].startswith("colonne ") and not text_of(header[len(names) - 1]):
        names.pop()  # trailing blank header cells are no columns
    return names


def _blank(cells: list[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        for line, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            yield line, list(row)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    # Opened as a stream: stored files have no extension, which openpyxl checks on paths.
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise SpendFileRefused(f"classeur XLSX illisible ({type(exc).__name__})") from exc
        try:
            if not workbook.worksheets:
                return
            sheet = workbook.worksheets[0]
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(row)
        finally:
            workbook.close()


def rows(path: Path, shape: FileShape) -> Iterator[tuple[int, list[Cell]]]:
    """Every row of the file after its header, with its line number; blank rows are skipped."""
    source = (
        _xlsx_rows(path)
        if shape.format == SpendFormat.XLSX
        else _csv_rows(path, shape.encoding or "utf-8-sig", shape.delimiter or ";")
    )
    for line, cells in source:
        if line == 1 or _blank(cells):
            continue
        yield line, cells


def inspect(path: Path) -> FileShape:
    """The file's format, encoding, delimiter, columns and first rows; refused (422, with the
    line) when it is no spreadsheet, empty, or holds a header and no data."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise SpendFileRefused("le fichier est vide", line=1)
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path)
        shape = FileShape(SpendFormat.XLSX, None, None, [], [])
    else:
        _sniff_binary(head)
        encoding = "utf-8-sig" if is_utf8(path) else "cp1252"
        sample = head.decode(encoding, errors="replace")
        shape = FileShape(SpendFormat.CSV, encoding, _sniff_delimiter(sample), [], [])
    source = (
        _xlsx_rows(path)
        if shape.format == SpendFormat.XLSX
        else _csv_rows(path, shape.encoding or "utf-8-sig", shape.delimiter or ";")
    )
    header: list[Cell] | None = None
    preview: list[list[str]] = []
    try:
        for line, cells in source:
            if line == 1:
                header = cells
                continue
            if _blank(cells):
                continue
            preview.append([text_of(c) for c in cells])
            if len(preview) >= PREVIEW_ROWS:
                break
    finally:
        close = getattr(source, "close", None)
        if close:
            close()
    if header is None or _blank(header):
        raise SpendFileRefused(
            "le fichier est vide : la ligne 1 doit porter les noms des colonnes", line=1
        )
    columns = _columns(header)
    if len(columns) > MAX_COLUMNS:
        raise SpendFileRefused(
            f"plus de {MAX_COLUMNS} colonnes : ce n'est pas un relevé d'achats", line=1
        )
    if not preview:
        raise SpendFileRefused(
            "le fichier ne contient que sa ligne d'en-tête : aucune ligne de données", line=2
        )
    preview = [row[: len(columns)] + [""] * (len(columns) - len(row)) for row in preview]
    return FileShape(shape.format, shape.encoding, shape.delimiter, columns, preview)


# The words of a column's name that tell which field it holds, tried in this order.
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("supplier_siret", ("siret",)),
    ("supplier_siren", ("siren",)),
    ("site_postcode", ("site postal", "code postal site", "cp site", "site cp")),
    ("supplier_postcode", ("code postal", "postal", "cp", "postcode", "zip")),
    ("amount", ("montant", "ht", "amount", "depense", "total")),
    ("date", ("date",)),
    ("category", ("categorie", "famille", "category", "nature", "segment")),
    ("buying_entity", ("entite", "acheteur", "direction", "service", "entity", "etablissement")),
    ("supplier_name", ("fournisseur", "raison sociale", "nom", "supplier", "tiers", "name")),
)


def suggested_mapping(columns: list[str]) -> dict[str, str]:
    """Each field's likeliest column, by the words of the columns' names; a column serves once."""
    folded = {column: f" {fold(column)} " for column in columns}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, hints in _HINTS:
        for column in columns:
            if column in used:
                continue
            name = folded[column]
            if field == "supplier_postcode" and " site " in name:
                continue
            if (
                field == "site_postcode"
                and " site " in name
                and (" postal " in name or " cp " in name)
            ):
                mapping[field] = column
                used.add(column)
                break
            if any(f" {hint} " in name for hint in hints):
                mapping[field] = column
                used.add(column)
                break
    return mapping
