"""Idempotent import of a public structure file: upsert by source identity, delist what vanished."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.imports.models import ImportRun
from services.catalog.imports.naf_mapping import MAPPING_PATH, NafMapping, load_naf_mapping
from services.catalog.imports.repository import ImportRepository
from services.catalog.imports.sources import (
    CommuneRef,
    Geography,
    Rejection,
    SourceFile,
    parse_source,
)
from services.catalog.outbox.service import record_structure_changes
from services.catalog.reference.repository import ReferenceRepository
from services.catalog.structures.models import Activity, RangeKind, Structure
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.service import ZRR_CLASSED, stamp_sources
from services.common.db import utcnow

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    source: str
    skipped: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    delisted: int = 0
    inferred: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def load_geography(session: Session) -> Geography:
    reference = ReferenceRepository(session)
    departments = reference.department_regions()
    communes: dict[str, CommuneRef] = {}
    parents: dict[str, str] = {}
    for c in reference.communes():
        communes[c.code] = CommuneRef(
            c.code,
            c.department_code,
            c.region_code,
            c.latitude,
            c.longitude,
            is_zrr=c.zrr_status in ZRR_CLASSED,
            has_qpv=c.qpv_count > 0,
        )
        if c.parent_code:
            parents[c.code] = c.parent_code
    if not departments:
        raise RuntimeError("reference data is not loaded: run `catalog load-reference` first")
    return Geography(
        departments=departments,
        communes=communes,
        parents=parents,
        naf_codes=reference.naf_codes(),
    )


# Bumped whenever parsing rules change, so that an unchanged file is read again under the new rules.
PARSER_VERSION = "7"


def _fingerprint(path: Path, data_dir: Path) -> str:
    """The file, the parsing rules and the NAF mapping: any change means a new import."""
    digest = hashlib.sha256(PARSER_VERSION.encode() + b"\0" + path.read_bytes())
    digest.update((data_dir / MAPPING_PATH).read_bytes())
    return digest.hexdigest()


# A manager's or staff's edit is never overwritten by a later import.
PROTECTED_SOURCES = frozenset({"manager", "staff"})
_SYSTEM_FIELDS = frozenset({"import_key", "source", "source_updated_at"})


def _apply(structure: Structure, record: dict[str, Any]) -> dict[str, list[Any]]:
    """Sets what the source says, except fields a person edited; returns what changed."""
    changes: dict[str, list[Any]] = {}
    for name, value in record.items():
        owner = structure.field_sources.get(name, {}).get("source")
        if owner in PROTECTED_SOURCES:
            continue
        if getattr(structure, name) != value:
            changes[name] = [getattr(structure, name), value]
            setattr(structure, name, value)
    if not structure.is_active:
        structure.is_active = True
        changes["is_active"] = [False, True]
    unstamped = [n for n in record if n not in _SYSTEM_FIELDS and n not in structure.field_sources]
    if changes or unstamped:
        touched = {n for n in changes if n not in _SYSTEM_FIELDS} | set(unstamped)
        stamp_sources(structure, sorted(touched), structure.source)
    if changes:
        structure.updated_at = utcnow()
    return changes


def _infer_activities(
    session: Session, structures: list[Structure], mapping: NafMapping
) -> list[int]:
    """Activities suggested by the NAF code, for structures that have none and never had.

    They cover the structure's département and stay flagged `inferred` until a manager
    confirms, changes or removes them; once a structure's activities have been inferred or
    edited, they are never inferred again.
    """
    with_activities = StructureRepository(session).with_activities()
    touched = []
    for structure in structures:
        entry = mapping.mapped.get(structure.naf or "")
        if (
            entry is None
            or structure.id is None
            or not structure.is_active
            or structure.id in with_activities
            or "activities" in structure.field_sources
            or structure.department_code is None
        ):
            continue
        for slug in entry.sectors:
            session.add(
                Activity(
                    structure_id=structure.id,
                    sector_slug=slug,
                    presta_types=list(entry.presta_types),
                    range_kind=RangeKind.ZONES,
                    zones=[{"type": "departement", "code": structure.department_code}],
                    inferred=True,
                )
            )
        stamp_sources(structure, ["activities"], "naf")
        session.add(structure)
        touched.append(structure.id)
    return touched


def import_source(
    session: Session, source: SourceFile, data_dir: Path, force: bool = False
) -> ImportReport:
    """Upserts every valid row; structures of this source no longer in the file are delisted.

    Nothing is written when the file is the one already imported (unless `force`).
    Changed structures get an outbox row in the same transaction.
    """
    path = data_dir / source.path
    sha = _fingerprint(path, data_dir)
    last = ImportRepository(session).last_run(source.name)
    if not force and last is not None and last.file_sha256 == sha:
        return ImportReport(
            source=source.name, skipped=True, unchanged=last.created + last.updated + last.unchanged
        )

    parsed = parse_source(source, path, load_geography(session))
    report = ImportReport(
        source=source.name, rejections=parsed.rejections, warnings=parsed.warnings
    )
    structures = StructureRepository(session)
    existing = {s.import_key: s for s in structures.imported_from(source.key_prefix)}
    changed: list[Structure] = []
    for record in parsed.records:
        structure = existing.pop(record["import_key"], None)
        if structure is None:
            structure = Structure(**record)
            stamp_sources(
                structure, [n for n in record if n not in _SYSTEM_FIELDS], record["source"]
            )
            session.add(structure)
            changed.append(structure)
            report.created += 1
        elif changes := _apply(structure, record):
            changed.append(structure)
            report.updated += 1
            assert structure.id is not None
            audit.record(
                session,
                f"import:{source.name}",
                structure.id,
                "structure.import",
                "structure",
                structure.id,
                changes,
            )
        else:
            report.unchanged += 1
    for vanished in existing.values():
        if vanished.is_active:
            vanished.is_active = False
            vanished.updated_at = utcnow()
            changed.append(vanished)
            report.delisted += 1
            assert vanished.id is not None
            audit.record(
                session,
                f"import:{source.name}",
                vanished.id,
                "structure.delist",
                "structure",
                vanished.id,
                {"is_active": [True, False]},
            )
    session.flush()
    imported = structures.imported_from(source.key_prefix)
    inferred = _infer_activities(session, imported, load_naf_mapping(data_dir))
    report.inferred = len(inferred)
    session.flush()
    record_structure_changes(session, [*(s.id for s in changed if s.id is not None), *inferred])
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
