"""DECP import at scale: a generated file of 1,000,000 contracts imported into a catalog holding
the real structures, then imported again unchanged (skipped by its fingerprint) and forced
(every contract read and compared, none written). Prints throughput and each run's peak RSS.

Usage: .venv/bin/python -m bench.decp [--contracts 1000000] [--format json|csv]
       [--database-url postgresql+psycopg://…/db (an empty database)] [--keep DIR]
Writes bench/results/decp-<date>.json."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from bench.decp_file import write_decp
from services.catalog.decp import service
from services.catalog.decp.models import DecpBuyer, DecpBuyerYear, DecpPartner
from services.catalog.structures.models import Structure
from tests.support import ROOT, load_catalog

RESULTS = Path(__file__).with_name("results")


def _catalog_sirets(url: str) -> tuple[list[str], Any]:
    engine = load_catalog(url)
    with Session(engine) as session:
        rows = session.connection().execute(
            select(Structure.siret).where(  # type: ignore[call-overload]
                Structure.siret.is_not(None),  # type: ignore[union-attr]
                Structure.is_active,
            )
        )
        return [siret for (siret,) in rows], engine


def _import(url: str, path: Path, *extra: str) -> dict[str, Any]:
    """One `catalog import decp` in its own process: wall time, peak RSS, its report."""
    env = {**os.environ, "CATALOG_DATABASE_URL": url, "MI_ENVIRONMENT": "development"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.catalog.cli", "import", "decp", str(path), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"import failed ({status}):\n{output}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "report": output.splitlines()[0] if output else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.decp")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    parser.add_argument("--database-url", help="an empty, migrated-or-not catalog database")
    parser.add_argument("--keep", type=Path, help="folder to keep the file and database in")
    args = parser.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_decp_"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / 'catalog.db'}"
    print(f"catalogue (données réelles) : {url}", flush=True)
    sirets, engine = _catalog_sirets(url)

    path = folder / f"decp.{args.format}"
    started = time.perf_counter()
    write_decp(path, args.contracts, seed=1, fmt=args.format, catalog_sirets=sirets)
    generated = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6
    print(f"fichier : {args.contracts} marchés, {size_mb:.0f} Mo, généré en {generated:.0f} s")

    first = _import(url, path)
    rate = args.contracts / first["seconds"]
    print(
        f"import : {first['seconds']} s, {rate:,.0f} marchés/s, pic RSS {first['peak_rss_mb']} Mo"
    )
    print(f"  {first['report']}")
    unchanged = _import(url, path)
    print(f"réimport du fichier inchangé : {unchanged['seconds']} s ({unchanged['report']})")
    forced = _import(url, path, "--force")
    print(
        f"réimport forcé (chaque marché relu et comparé) : {forced['seconds']} s, "
        f"pic RSS {forced['peak_rss_mb']} Mo"
    )

    with Session(engine) as session:
        connection = session.connection()
        buyers = connection.execute(select(func.count()).select_from(DecpBuyer)).scalar_one()
        years = connection.execute(select(func.count()).select_from(DecpBuyerYear)).scalar_one()
        partners = connection.execute(select(func.count()).select_from(DecpPartner)).scalar_one()
        started = time.perf_counter()
        ranking = service.ranking(session, None, None, None, None, page=1, per_page=50)
        ranking_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        service.ranking(session, None, None, None, None)
        whole_ms = (time.perf_counter() - started) * 1000
    engine.dispose()
    print(
        f"{buyers} acheteurs, {years} bilans annuels, {partners} titulaires et sous-traitants ; "
        f"classement {ranking['year']} ({ranking['total']} acheteurs) : une page en "
        f"{ranking_ms:.0f} ms, entier (CSV) en {whole_ms:.0f} ms"
    )
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "contracts": args.contracts,
        "format": args.format,
        "database": url.split(":", 1)[0],
        "file_mb": round(size_mb, 1),
        "import": first,
        "contracts_per_s": round(rate),
        "reimport_unchanged": unchanged,
        "reimport_forced": forced,
        "buyers": buyers,
        "buyer_years": years,
        "partners": partners,
        "ranking_page_ms": round(ranking_ms),
        "ranking_whole_ms": round(whole_ms),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"decp-{datetime.now(UTC):%Y-%m-%dT%H%M}-{args.format}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"résultats : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
