"""Hostile structure files: malformed rows are rejected with their line and reason, files that
cannot be read as a whole (wrong encoding, empty, unclosed quote, missing columns) are refused
with a clear message — and then nothing is imported and nothing delisted. Never a crash, never
half a row. (The rejections of the real files are checked in tests/catalog/test_import.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalog.imports.models import ImportRun
from services.catalog.imports.service import import_source, load_geography
from services.catalog.imports.sources import (
    ESAT,
    SIAE,
    FileRefused,
    Geography,
    ParsedSource,
    SourceFile,
    parse_source,
)
from services.catalog.structures.models import Structure
from tests.support import DATA, ROOT


def _lines(source: SourceFile, count: int = 12) -> list[str]:
    with (DATA / source.path).open(encoding="utf-8", newline="") as handle:
        return [next(handle) for _ in range(count + 1)]


def _data_dir(tmp_path: Path, source: SourceFile, content: bytes) -> Path:
    data = tmp_path / "data"
    (data / "structures").mkdir(parents=True)
    (data / "mappings").symlink_to(DATA / "mappings")
    (data / source.path).write_bytes(content)
    return data


def _active(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Structure).where(col(Structure.is_active))
    ).one()


@pytest.fixture(scope="module")
def geography(loaded_sqlite_catalog: Engine) -> Geography:
    with Session(loaded_sqlite_catalog) as session:
        return load_geography(session)


def _parse(
    geography: Geography, tmp_path: Path, source: SourceFile, content: bytes
) -> ParsedSource:
    return parse_source(source, _data_dir(tmp_path, source, content) / source.path, geography)


def _refused(geography: Geography, tmp_path: Path, source: SourceFile, content: bytes) -> str:
    with pytest.raises(FileRefused) as refused:
        _parse(geography, tmp_path, source, content)
    return str(refused.value)


def test_a_refused_file_imports_nothing_and_delists_nothing(
    loaded_sqlite_catalog: Engine, tmp_path: Path
) -> None:
    """On the shared catalog of the real data, which a refused file must leave as it is."""
    with Session(loaded_sqlite_catalog) as session:
        before, runs = _active(session), session.exec(select(func.count(col(ImportRun.id)))).one()
        with pytest.raises(FileRefused):
            import_source(session, ESAT, _data_dir(tmp_path, ESAT, b""), force=True)
        assert _active(session) == before == 5_344
        assert session.exec(select(func.count(col(ImportRun.id)))).one() == runs
        session.rollback()


def test_wrong_column_counts_are_rejected_rows(geography: Geography, tmp_path: Path) -> None:
    header, *rows = _lines(ESAT)
    extra = rows[1].rstrip("\n") + ",en trop\n"
    short = ",".join(rows[2].split(",")[:5]) + "\n"
    content = "".join([header, rows[0], extra, short, *rows[3:]]).encode()
    report = _parse(geography, tmp_path, ESAT, content)
    reasons = {r.line: r.reason for r in report.rejections}
    assert reasons == {3: "19 colonnes au lieu de 18", 4: "5 colonnes au lieu de 18"}
    assert len(report.records) == len(rows) - 2  # every other row, whole


def test_quote_closed_lines_later_rejects_the_merged_row(
    geography: Geography, tmp_path: Path
) -> None:
    header, *rows = _lines(ESAT)
    opened = rows[1].replace(",", ',"', 1)  # a quote opened in the name, closed two lines on
    closed = rows[3].replace(",", '",', 1)
    content = "".join([header, rows[0], opened, rows[2], closed, *rows[4:]])
    report = _parse(geography, tmp_path, ESAT, content.encode())
    [merged] = report.rejections
    assert merged.line == 3 and merged.reason.endswith("elle court jusqu'à la ligne 5")
    assert "colonnes au lieu de 18" in merged.reason
    assert len(report.records) == len(rows) - 3


def test_unclosed_quote_refuses_the_file(geography: Geography, tmp_path: Path) -> None:
    header, *rows = _lines(ESAT)
    content = "".join([header, rows[0], rows[1].replace(",", ',"', 1), *rows[2:]])
    assert "guillemet ouvert ligne 3 et jamais fermé" in _refused(
        geography, tmp_path, ESAT, content.encode()
    )


def _accented() -> str:
    header, *rows = _lines(ESAT)
    return "".join([header, *rows[1:]]) + rows[0].replace(",", ",Œuvre « été » ", 1)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_single_byte_encodings_are_refused(
    geography: Geography, tmp_path: Path, encoding: str
) -> None:
    content = _accented().encode(encoding, errors="replace")
    message = _refused(geography, tmp_path, ESAT, content)
    assert "n'est pas en UTF-8" in message and "ligne " in message


def test_utf16_is_refused_and_a_byte_order_mark_is_read(
    geography: Geography, tmp_path: Path
) -> None:
    content = "".join(_lines(ESAT))
    assert "UTF-16" in _refused(geography, tmp_path, ESAT, content.encode("utf-16"))
    with_bom = _parse(geography, tmp_path / "bom", ESAT, content.encode("utf-8-sig"))
    assert len(with_bom.records) == 12 and not with_bom.rejections


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "est vide"),
        (b"\n", "colonnes absentes"),
        ("".join(_lines(ESAT, 0)).encode(), "aucune ligne valide"),
        ("".join(_lines(ESAT, 0)).replace("code_insee,", "").encode(), "code_insee"),
        ("".join(_lines(ESAT, 3)).replace("finess_et", "FINESS").encode(), "finess_et"),
    ],
    ids=["empty", "blank", "header-only", "missing-column", "renamed-column"],
)
def test_files_without_rows_or_columns_are_refused(
    geography: Geography, tmp_path: Path, content: bytes, words: str
) -> None:
    assert words in _refused(geography, tmp_path, ESAT, content)


def test_nul_and_stray_quotes_reject_the_row(geography: Geography, tmp_path: Path) -> None:
    header, *rows = _lines(SIAE)
    nul = rows[1].replace(",", ",\x00", 2)
    stray = rows[2].replace(",", ',"x"y', 1)
    content = "".join([header, rows[0], nul, stray, *rows[3:]]).encode()
    report = _parse(geography, tmp_path, SIAE, content)
    reasons = {r.line: r.reason for r in report.rejections}
    assert reasons[3] == "caractère NUL dans la ligne"
    assert reasons[4].startswith("ligne illisible")
    sirets = {record["siret"] for record in report.records}
    for row in rows[1:3]:
        assert row.split(",")[1] not in sirets  # no half row
    assert rows[0].split(",")[1] in sirets


def test_every_row_rejected_refuses_the_file(geography: Geography, tmp_path: Path) -> None:
    header, *rows = _lines(ESAT)
    broken = [row.replace(row.split(",")[0], "123", 1) for row in rows]  # FINESS fails
    message = _refused(geography, tmp_path, ESAT, "".join([header, *broken]).encode())
    assert "aucune ligne valide (12 lignes rejetées ; ligne 2 :" in message


def test_the_command_reports_a_refusal_without_a_traceback(
    loaded_sqlite_catalog: Engine, tmp_path: Path
) -> None:
    data = _data_dir(tmp_path, ESAT, _accented().encode("cp1252"))
    result = subprocess.run(
        [sys.executable, "-m", "services.catalog.cli", "import", "esat", "--force"],
        cwd=ROOT,
        env={
            **os.environ,
            "CATALOG_DATABASE_URL": str(loaded_sqlite_catalog.url),
            "MI_DATA_DIR": str(data),
            "MI_ENVIRONMENT": "development",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "esat: fichier refusé, rien n'est importé ni retiré" in result.stderr
    assert "Traceback" not in result.stderr
