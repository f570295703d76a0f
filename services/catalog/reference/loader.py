"""Loads the shipped reference data (geography, taxonomies) into the catalog database."""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel

from services.catalog.imports.models import ImportRun
from services.catalog.imports.repository import ImportRepository
from services.catalog.reference.models import (
    Commune,
    CpvCode,
    Department,
    NafCode,
    Region,
    Sector,
    SectorGroup,
)
from services.catalog.reference.repository import ReferenceRepository
from services.common.db import utcnow

logger = logging.getLogger(__name__)

REFERENCE_FILES = (
    "geo/regions.csv",
    "geo/departements.csv",
    "geo/communes.csv",
    "geo/zrr_communes_2022.csv",
    "geo/qpv_2024_partiel.csv",
    "taxonomies/marche_secteurs.csv",
    "taxonomies/cpv_2008.csv",
    "taxonomies/naf_rev2_sous_classes.csv",
)
REFERENCE_SOURCE = "reference"
Row = dict[str, Any]


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def files_sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _float(value: str) -> float | None:
    return float(value) if value else None


def _regions(data_dir: Path) -> list[Row]:
    return [
        dict(code=r["code_region"], name=r["nom"], zone=r["zone"])
        for r in read_csv(data_dir / "geo/regions.csv")
    ]


def _departments(data_dir: Path) -> list[Row]:
    return [
        dict(
            code=r["code_departement"], name=r["nom"], region_code=r["code_region"], zone=r["zone"]
        )
        for r in read_csv(data_dir / "geo/departements.csv")
    ]


def _zrr_statuses(data_dir: Path) -> dict[str, str]:
    """2026 commune -> C / PC / NC; a commune merged from differently classed ones is PC."""
    seen: dict[str, set[str]] = {}
    for r in read_csv(data_dir / "geo/zrr_communes_2022.csv"):
        seen.setdefault(r["code_insee_2026"], set()).add(r["statut_zrr"])
    return {code: next(iter(s)) if len(s) == 1 else "PC" for code, s in seen.items()}


def _qpv_counts(data_dir: Path) -> Counter[str]:
    return Counter(r["code_insee_2026"] for r in read_csv(data_dir / "geo/qpv_2024_partiel.csv"))


def _communes(data_dir: Path) -> list[Row]:
    zrr, qpv = _zrr_statuses(data_dir), _qpv_counts(data_dir)
    return [
        dict(
            code=r["code_insee"],
            name=r["nom"],
            type=r["type"],
            department_code=r["code_departement"],
            region_code=r["code_region"],
            parent_code=r["code_commune_parent"] or None,
            postcodes=[p for p in r["codes_postaux"].split("|") if p],
            population=int(r["population"]) if r["population"] else None,
            latitude=_float(r["lat"]),
            longitude=_float(r["lon"]),
            zrr_status=zrr.get(r["code_insee"]),
            qpv_count=qpv.get(r["code_insee"], 0),
        )
        for r in read_csv(data_dir / "geo/communes.csv")
    ]


def _sector_groups(data_dir: Path) -> list[Row]:
    groups: dict[int, Row] = {}
    for r in read_csv(data_dir / "taxonomies/marche_secteurs.csv"):
        group_id = int(r["groupe_id"])
        groups.setdefault(group_id, dict(id=group_id, slug=r["groupe_slug"], name=r["groupe"]))
    return list(groups.values())


def _sectors(data_dir: Path) -> list[Row]:
    return [
        dict(
            id=int(r["secteur_id"]),
            slug=r["secteur_slug"],
            name=r["secteur"],
            group_id=int(r["groupe_id"]),
        )
        for r in read_csv(data_dir / "taxonomies/marche_secteurs.csv")
    ]


def _cpv(data_dir: Path) -> list[Row]:
    return [
        dict(
            code=r["code"],
            level=int(r["niveau"]),
            parent_code=r["code_parent"] or None,
            label_fr=r["libelle_fr"],
            label_en=r["libelle_en"] or None,
        )
        for r in read_csv(data_dir / "taxonomies/cpv_2008.csv")
    ]


def _naf(data_dir: Path) -> list[Row]:
    return [
        dict(
            code=r["code"],
            ape=r["code_ape"],
            label=r["libelle"],
            division=r["code_division"],
            section=r["code_section"],
        )
        for r in read_csv(data_dir / "taxonomies/naf_rev2_sous_classes.csv")
    ]


# Parents before children, so that foreign keys hold while inserting.
_TABLES: tuple[tuple[type[SQLModel], Callable[[Path], list[Row]]], ...] = (
    (Region, _regions),
    (Department, _departments),
    (Commune, _communes),
    (SectorGroup, _sector_groups),
    (Sector, _sectors),
    (CpvCode, _cpv),
    (NafCode, _naf),
)


@dataclass(frozen=True)
class ReferenceLoad:
    loaded: bool
    counts: dict[str, int]


def load_reference_data(session: Session, data_dir: Path, force: bool = False) -> ReferenceLoad:
    """Replaces the reference tables when the shipped files changed; otherwise does nothing."""
    sha = files_sha256([data_dir / name for name in REFERENCE_FILES])
    last = ImportRepository(session).last_run(REFERENCE_SOURCE)
    if not force and last is not None and last.file_sha256 == sha:
        return ReferenceLoad(loaded=False, counts=_counts(session))
    run = ImportRun(source=REFERENCE_SOURCE, file_sha256=sha)
    reference = ReferenceRepository(session)
    for table, _ in reversed(_TABLES):
        reference.clear(table)
    for table, build in _TABLES:
        reference.insert_rows(table, build(data_dir))
    counts = _counts(session)
    run.created = sum(counts.values())
    run.finished_at = utcnow()
    session.add(run)
    session.flush()
    logger.info("reference data loaded", extra={"counts": counts})
    return ReferenceLoad(loaded=True, counts=counts)


def _counts(session: Session) -> dict[str, int]:
    return {
        str(table.__tablename__): ReferenceRepository(session).count(table) for table, _ in _TABLES
    }
