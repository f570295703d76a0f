"""`catalog` command: load reference data, import public structure files, feed the index."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

from sqlmodel import Session

from services.catalog.app import make_relay
from services.catalog.decp.importer import DecpReport, import_decp
from services.catalog.decp.sources import DecpFileRefused
from services.catalog.imports.service import ImportReport, import_source
from services.catalog.imports.sources import SOURCES, FileRefused
from services.catalog.indexing.relay import OutboxRelay
from services.catalog.reference.loader import load_reference_data
from services.catalog.settings import CatalogSettings, get_settings
from services.common.db import make_engine
from services.common.search_engine import (
    ensure_search_key,
    search_engine_client,
    search_key_value,
)


def _print_report(report: ImportReport, verbose: bool) -> None:
    if report.skipped:
        print(f"{report.source}: fichier inchangé depuis le dernier import, rien à faire.")
        return
    print(
        f"{report.source}: {report.imported} importées (créées {report.created}, "
        f"mises à jour {report.updated}, inchangées {report.unchanged}), "
        f"retirées {report.delisted}, rejetées {len(report.rejections)}"
    )
    for rejection in report.rejections:
        print(f"  rejet ligne {rejection.line} [{rejection.key}] : {rejection.reason}")
    notes = Counter(w.reason for w in report.warnings)
    for reason, count in notes.most_common():
        print(f"  note ({count} lignes) : {reason}")
    if verbose:
        for warning in report.warnings:
            print(f"  note ligne {warning.line} [{warning.key}] : {warning.reason}")
    print(
        f"  {report.source}: le fichier ne déclare aucune activité ; {report.inferred} structures "
        "reçoivent des activités déduites de leur code NAF, marquées « déduites » jusqu'à "
        "confirmation par un gestionnaire (data/mappings/naf_secteurs.csv)."
    )


def _import(settings: CatalogSettings, names: list[str], force: bool, verbose: bool) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        for name in names:
            try:
                report = import_source(session, SOURCES[name], settings.data_dir, force=force)
            except FileRefused as exc:
                engine.dispose()
                sys.exit(f"{name}: fichier refusé, rien n'est importé ni retiré — {exc}")
            session.commit()
            _print_report(report, verbose)
    engine.dispose()


def _print_decp(report: DecpReport) -> None:
    if report.skipped:
        print(f"{report.file_name}: fichier inchangé depuis le dernier import, rien à faire.")
        return
    print(
        f"{report.file_name}: {report.read} marchés lus (créés {report.created}, mis à jour "
        f"{report.updated}, inchangés {report.unchanged}), rejetés {report.rejected} ; "
        f"{report.buyers} acheteurs, {report.buyer_years} bilans annuels"
    )
    for rejection in report.rejections:
        print(
            f"  rejet {report.position_label} {rejection.line} [{rejection.key}] : "
            f"{rejection.reason}"
        )
    if report.rejected > len(report.rejections):
        print(f"  … et {report.rejected - len(report.rejections)} autres rejets")


def _import_decp(settings: CatalogSettings, path: Path, force: bool) -> None:
    if not path.is_file():
        sys.exit(f"decp : fichier introuvable — {path}")
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            report = import_decp(
                session,
                path,
                force=force,
                progress=lambda m: print(m, file=sys.stderr),
                checkpoint=session.commit,
            )
    except DecpFileRefused as exc:
        sys.exit(
            f"decp : fichier refusé — {exc} (les marchés déjà lus restent ; relancer "
            "l'import une fois le fichier corrigé)"
        )
    finally:
        engine.dispose()
    _print_decp(report)


def _load_reference(settings: CatalogSettings, force: bool) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        result = load_reference_data(session, settings.data_dir, force=force)
        session.commit()
    engine.dispose()
    state = "chargées" if result.loaded else "déjà à jour"
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    print(f"données de référence {state} : {counts}")


async def _with_relay(settings: CatalogSettings, action: str) -> None:
    engine = make_engine(settings.database_url)
    async with search_engine_client(settings) as client:
        relay: OutboxRelay = make_relay(settings, client, engine)
        if action == "rebuild":
            started = time.perf_counter()
            count = await relay.rebuild()
            drained = await relay.drain()
            print(
                f"index reconstruit : {count} structures en {time.perf_counter() - started:.2f} s "
                f"({drained} changements relayés ensuite)"
            )
        elif action in ("check", "repair"):
            report = await relay.check_drift(repair=action == "repair")
            print(
                f"écarts entre le catalogue et l'index : {report.total} "
                f"(absentes {len(report.missing)}, fantômes {len(report.ghosts)}, "
                f"périmées {len(report.stale)})" + (" — réparés" if report.repaired else "")
            )
        elif action == "drain":
            print(f"changements relayés vers l'index : {await relay.drain()}")
        else:
            state, drained = await relay.sync()
            count = await relay.writer.document_count()
            print(f"index {state} : {count} structures ({drained} changements relayés)")
        await relay.generations.aclose()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="catalog", description="Catalogue de Marché inclusif")
    commands = parser.add_subparsers(dest="command", required=True)
    reference = commands.add_parser("load-reference", help="charge la géographie et les taxonomies")
    reference.add_argument("--force", action="store_true")
    importer = commands.add_parser("import", help="importe un fichier public de structures")
    importer.add_argument("source", choices=[*SOURCES, "all", "decp"])
    importer.add_argument(
        "file", nargs="?", type=Path, help="decp : le fichier DECP (JSON ou CSV) à importer"
    )
    importer.add_argument("--force", action="store_true", help="réimporte même si inchangé")
    importer.add_argument("--verbose", action="store_true", help="affiche chaque note")
    index = commands.add_parser("index", help="alimente l'index de recherche")
    index.add_argument("action", choices=["drain", "rebuild", "sync", "check", "repair"])
    commands.add_parser("bootstrap", help="référence + imports + index, sans refaire l'inchangé")
    commands.add_parser(
        "search-key", help="affiche la clé de recherche seule à donner au service sourcing"
    )
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.command == "load-reference":
        _load_reference(settings, args.force)
    elif args.command == "import" and args.source == "decp":
        if args.file is None:
            parser.error("import decp : indiquer le fichier DECP (JSON ou CSV)")
        _import_decp(settings, args.file, args.force)
    elif args.command == "import":
        names = list(SOURCES) if args.source == "all" else [args.source]
        _import(settings, names, args.force, args.verbose)
    elif args.command == "index":
        asyncio.run(_with_relay(settings, args.action))
    elif args.command == "search-key":
        print(search_key_value(settings.meili_master_key, settings.meili_index))
    else:
        _load_reference(settings, force=False)
        _import(settings, list(SOURCES), force=False, verbose=False)
        asyncio.run(_with_relay(settings, "sync"))
        if settings.meili_master_key:
            asyncio.run(ensure_search_key(settings))
            print("clé de recherche seule du service sourcing : prête")
    return 0


if __name__ == "__main__":
    sys.exit(main())
