"""Spend import at scale: a generated file of 1,000,000 rows (real SIRETs of the catalog mixed
with made-up ones) imported for a year through the service's own import function, in a process
of its own so that its peak RSS is its own. Prints rows/s and peak RSS.

Usage: .venv/bin/python -m bench.spend [--rows 1000000] [--format csv|xlsx]
       [--database-url postgresql+psycopg://…/db (an empty database)] [--keep DIR]
Writes bench/results/spend-<date>-<format>.json."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench.spend_file import MAPPING, write_spend_file
from services.catalog.structures.repository import StructureRepository
from tests.support import ROOT, load_catalog

RESULTS = Path(__file__).with_name("results")
YEAR = 2025


def _identities(folder: Path) -> list[dict[str, Any]]:
    engine = load_catalog(f"sqlite:///{folder / 'catalog.db'}")
    with Session(engine) as session:
        found = StructureRepository(session).identities()
    engine.dispose()
    return [{k: (str(v) if k in ("kind", "family") else v) for k, v in i.items()} for i in found]


def _child(url: str, path: Path, identities_path: Path, spend_dir: Path) -> None:
    """The import itself, as the service runs it in its worker thread."""
    from services.common.db import make_engine
    from services.sourcing.projects.models import Organisation
    from services.sourcing.projects.vocabulary import BuyerKind
    from services.sourcing.spend.files import ReceivedFile, SpendFileStore
    from services.sourcing.spend.importer import run_import
    from services.sourcing.spend.models import SpendFile, SpendUpload, UploadStatus
    from services.sourcing.spend.reader import inspect
    from tests.support import migrate

    migrate(url, "sourcing")
    engine = make_engine(url)
    identities = json.loads(identities_path.read_text())
    store = SpendFileStore(spend_dir)
    spend_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    shape = inspect(path)
    copy = spend_dir / "bench.part"
    shutil.copyfile(path, copy)  # the service keeps its own copy of what it receives
    stored = store.keep(ReceivedFile(copy, path.stat().st_size, "0" * 64))
    with Session(engine, expire_on_commit=False) as session:
        organisation = Organisation(
            name="Banc d'essai", siren="732829320", buyer_kind=BuyerKind.ENTREPRISE, created_by="b"
        )
        session.add(organisation)
        session.flush()
        spend_file = SpendFile(
            organisation_id=organisation.id or 0,
            name=path.name,
            sha256="0" * 64,
            format=shape.format,
            size_bytes=path.stat().st_size,
            stored_path=stored,
            encoding=shape.encoding,
            delimiter=shape.delimiter,
            columns=shape.columns,
            uploaded_by="bench",
        )
        session.add(spend_file)
        session.flush()
        upload = SpendUpload(
            organisation_id=organisation.id or 0,
            file_id=spend_file.id or 0,
            year=YEAR,
            status=UploadStatus.RUNNING,
            mapping=MAPPING,
            started_by="bench",
        )
        session.add(upload)
        session.commit()
    run_import(engine, upload.id or 0, identities, store)
    with Session(engine) as session:
        done = session.get(SpendUpload, upload.id)
        assert done is not None
        print(
            json.dumps(
                {
                    "status": done.status,
                    "error": done.error,
                    "rows_read": done.rows_read,
                    "rows_accepted": done.rows_accepted,
                    "rows_rejected": done.rows_rejected,
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.spend")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--database-url", help="an empty sourcing database")
    parser.add_argument("--keep", type=Path, help="folder to keep the file and databases in")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url, path, identities, spend_dir = args.child
        _child(url, Path(path), Path(identities), Path(spend_dir))
        return 0

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_spend_"))
    folder.mkdir(parents=True, exist_ok=True)
    identities = _identities(folder)
    identities_path = folder / "identities.json"
    identities_path.write_text(json.dumps(identities))
    path = folder / f"depenses.{args.format}"
    started = time.perf_counter()
    write_spend_file(path, args.rows, identities, YEAR)
    size_mb = path.stat().st_size / 1e6
    print(
        f"fichier : {args.rows} lignes, {size_mb:.0f} Mo, généré en "
        f"{time.perf_counter() - started:.0f} s ; catalogue : {len(identities)} structures"
    )
    url = args.database_url or f"sqlite:///{folder / 'sourcing.db'}"
    command = [sys.executable, "-m", "bench.spend", "--child", url, str(path)]
    command += [str(identities_path), str(folder / "spend")]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"import failed ({status}):\n{output}")
    report = json.loads(output.strip().splitlines()[-1])
    rate = args.rows / report["seconds"]
    peak = round(usage.ru_maxrss / 1024, 1)  # kilobytes on Linux
    print(
        f"import ({url.split(':', 1)[0]}) : {report['seconds']} s, {rate:,.0f} lignes/s, "
        f"pic RSS {peak} Mo ; {report['rows_accepted']} acceptées, "
        f"{report['rows_rejected']} refusées, statut {report['status']}"
    )
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "format": args.format,
        "database": url.split(":", 1)[0],
        "file_mb": round(size_mb, 1),
        "import": report,
        "process_seconds": round(wall, 2),
        "rows_per_s": round(rate),
        "peak_rss_mb": peak,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"spend-{datetime.now(UTC):%Y-%m-%dT%H%M}-{args.format}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"résultats : {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
