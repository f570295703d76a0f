"""`catalog import decp FILE`: contracts upserted by (buyer SIRET, contract id), in batches; an
unchanged contract is not written again, an unchanged file is not read again (unless forced);
the buyers' figures are then computed anew from every contract held.

The caller owns the unit of work: `checkpoint` (the command line's commit) is called after each
batch, so that a long import holds no huge transaction and an interrupted one resumes cheaply."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from services.catalog.decp import figures
from services.catalog.decp.models import DecpImport
from services.catalog.decp.places import region_of
from services.catalog.decp.repository import DecpRepository
from services.catalog.decp.sources import ContractRecord, file_format, read_contracts
from services.catalog.imports.sources import Rejection
from services.catalog.reference.repository import ReferenceRepository
from services.common.db import utcnow

# Bumped whenever reading rules change, so that an unchanged file is read again under new rules.
PARSER_VERSION = "1"
BATCH = 5000
KEPT_REJECTIONS = 1000


@dataclass
class DecpReport:
    file_name: str
    skipped: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The first rejections in file order; `rejected` counts them all.
    rejections: list[Rejection] = field(default_factory=list)
    buyers: int = 0
    buyer_years: int = 0
    # How a rejection's position reads: a line of a CSV file, a contract's rank in a JSON file.
    position_label: str = "ligne"


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256(PARSER_VERSION.encode() + b"\0")
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Writer:
    def __init__(
        self, session: Session, report: DecpReport, checkpoint: Callable[[], None]
    ) -> None:
        self.repository = DecpRepository(session)
        self.report = report
        self.checkpoint = checkpoint
        self.department_regions = ReferenceRepository(session).department_regions()
        self.regions = self.repository.region_codes()

    def _row(self, record: ContractRecord, fingerprint: str) -> dict[str, Any]:
        return {
            "uid": record.uid,
            "buyer_siret": record.buyer_siret,
            "buyer_name": record.buyer_name,
            "notified_on": record.notified_on,
            "year": record.year,
            "amount_eur": record.amount_eur,
            "nature": record.nature,
            "cpv": record.cpv,
            "place_type": record.place_type,
            "place_code": record.place_code,
            "region_code": region_of(
                record.place_type, record.place_code, self.department_regions, self.regions
            ),
            "clause_sociale": "clause_sociale" in record.social,
            "critere_social": "critere_social" in record.social,
            "marche_reserve": "marche_reserve" in record.social,
            "fingerprint": fingerprint,
        }

    def write(self, batch: dict[str, ContractRecord]) -> None:
        if not batch:
            return
        known = self.repository.fingerprints(list(batch))
        rows: list[dict[str, Any]] = []
        partners: list[dict[str, Any]] = []
        replaced: list[str] = []
        for uid, record in batch.items():
            fingerprint = record.fingerprint()
            previous = known.get(uid)
            if previous == fingerprint:
                self.report.unchanged += 1
                continue
            if previous is None:
                self.report.created += 1
            else:
                self.report.updated += 1
                replaced.append(uid)
            rows.append(self._row(record, fingerprint))
            partners.extend(
                {
                    "contract_uid": uid,
                    "role": p.role,
                    "id_type": p.id_type,
                    "ident": p.ident,
                    "siren": p.siren,
                }
                for p in record.partners
            )
        self.repository.write_contracts(replaced, rows, partners)
        self.checkpoint()


def import_decp(
    session: Session,
    path: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    batch_size: int = BATCH,
) -> DecpReport:
    """Reads `path` contract by contract; raises DecpFileRefused when it is no DECP file at all
    (contracts of earlier batches stay: importing again completes them, nothing twice)."""
    report = DecpReport(file_name=path.name)
    if file_format(path) == "json":
        report.position_label = "marché n°"
    repository = DecpRepository(session)
    checkpoint = checkpoint or session.flush
    fingerprint = file_fingerprint(path)
    if not force and repository.finished_import(fingerprint):
        report.skipped = True
        return report
    run = repository.add_import(DecpImport(file_name=path.name[:255], fingerprint=fingerprint))
    run_id = run.id
    assert run_id is not None
    checkpoint()
    writer = _Writer(session, report, checkpoint)
    batch: dict[str, ContractRecord] = {}
    for _position, item in read_contracts(path):
        if isinstance(item, Rejection):
            report.rejected += 1
            if len(report.rejections) < KEPT_REJECTIONS:
                report.rejections.append(item)
            continue
        report.read += 1
        batch.pop(item.uid, None)  # the last occurrence of a contract in the file wins
        batch[item.uid] = item
        if len(batch) >= batch_size:
            writer.write(batch)
            batch = {}
            if progress and report.read % 100_000 < batch_size:
                progress(f"{report.read} marchés lus, {report.rejected} rejetés")
    writer.write(batch)
    if progress:
        progress(f"{report.read} marchés lus, {report.rejected} rejetés ; calcul des chiffres…")
    report.buyers, report.buyer_years = figures.refresh(session)
    finished = repository.import_run(run_id)
    assert finished is not None
    run = finished
    run.finished_at = utcnow()
    run.read, run.created, run.updated = report.read, report.created, report.updated
    run.unchanged, run.rejected = report.unchanged, report.rejected
    run.rejections = [r.as_dict() for r in report.rejections]
    repository.add_import(run)
    checkpoint()
    return report
