"""Idempotent import of a public structure file: upsert by source identity, delist what vanished."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from services.catalog.imports.models import ImportRun
from services.catalog.imports.sources import (
    CommuneRef,
    Geography,
    Rejection,
    SourceFile,
    parse_source,
)
from services.catalog.outbox.service import record_structure_changes
from services.catalog.reference.models import Commune, Department
from services.catalog.structures.models import Structure, utcnow

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    source: str
    skipped: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    delisted: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def load_geography(session: Session) -> Geography:
    departments = {d.code: d.region_code for d in session.exec(select(Department))}
    communes: dict[str, CommuneRef] = {}
    parents: dict[str, str] = {}
    for c in session.exec(select(Commune)):
        communes[c.code] = CommuneRef(
            c.code, c.department_code, c.region_code, c.latitude, c.longitude
        )
        if c.parent_code:
            parents[c.code] = c.parent_code
    if not departments:
        raise RuntimeError("reference data is not loaded: run `catalog load-reference` first")
    return Geography(departments=departments, communes=communes, parents=parents)


# Bumped whenever parsing rules change, so that an unchanged file is read again under the new rules.
PARSER_VERSION = "3"


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0" + path.read_bytes()).hexdigest()


def _last_run(session: Session, source: str) -> ImportRun | None:
    return session.exec(
        select(ImportRun)
        .where(ImportRun.source == source, col(ImportRun.finished_at).is_not(None))
        .order_by(col(ImportRun.id).desc())
    ).first()


def _apply(structure: Structure, record: dict[str, Any]) -> bool:
    changed = False
    for name, value in record.items():
        if getattr(structure, name) != value:
            setattr(structure, name, value)
            changed = True
    if not structure.is_active:
        structure.is_active = True
        changed = True
    if changed:
        structure.updated_at = utcnow()
    return changed


def import_source(
    session: Session, source: SourceFile, data_dir: Path, force: bool = False
) -> ImportReport:
    """Upserts every valid row; structures of this source no longer in the file are delisted.

    Nothing is written when the file is the one already imported (unless `force`).
    Changed structures get an outbox row in the same transaction.
    """
    path = data_dir / source.path
    sha = _fingerprint(path)
    last = _last_run(session, source.name)
    if not force and last is not None and last.file_sha256 == sha:
        return ImportReport(
            source=source.name, skipped=True, unchanged=last.created + last.updated + last.unchanged
        )

    parsed = parse_source(source, path, load_geography(session))
    report = ImportReport(
        source=source.name, rejections=parsed.rejections, warnings=parsed.warnings
    )
    existing = {
        s.import_key: s
        for s in session.exec(
            select(Structure).where(col(Structure.import_key).startswith(source.key_prefix))
        )
    }
    changed: list[Structure] = []
    for record in parsed.records:
        structure = existing.pop(record["import_key"], None)
        if structure is None:
            structure = Structure(**record)
            session.add(structure)
            changed.append(structure)
            report.created += 1
        elif _apply(structure, record):
            changed.append(structure)
            report.updated += 1
        else:
            report.unchanged += 1
    for vanished in existing.values():
        if vanished.is_active:
            vanished.is_active = False
            vanished.updated_at = utcnow()
            changed.append(vanished)
            report.delisted += 1
    session.flush()
    record_structure_changes(session, (s.id for s in changed if s.id is not None))
    session.add(
        ImportRun(
            source=source.name,
            file_sha256=sha,
            finished_at=utcnow(),
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            delisted=report.delisted,
            rejected=len(report.rejections),
            rejections=[r.as_dict() for r in report.rejections],
        )
    )
    session.flush()
    logger.info(
        "import finished",
        extra={
            "source": source.name,
            "counts": {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "delisted": report.delisted,
                "rejected": len(report.rejections),
            },
        },
    )
    return report
