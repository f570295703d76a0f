"""The import of a spend file for a year, run in a worker thread on a session of its own: rows
read and checked one by one (refused with their line and reason), written by batches with the
progress counters, the suppliers aggregated and matched to the catalog, then the upload made
the year's active one in the same transaction that retires the previous one. A failure leaves
the previous active upload untouched."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from services.common.db import as_utc, utcnow
from services.common.errors import AppError
from services.common.lease import TTL_S, Lease, live
from services.common.text import fold
from services.domain.identifiers import siren_problem, siret_problem
from services.sourcing.projects.models import Organisation
from services.sourcing.spend.files import SpendFileStore
from services.sourcing.spend.matching import CatalogIdentities, Choice, matched_columns
from services.sourcing.spend.models import (
    SpendChoice,
    SpendFile,
    SpendLine,
    SpendRejection,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)
from services.sourcing.spend.reader import Cell, FileShape, rows, text_of

logger = logging.getLogger(__name__)

BATCH = 5000
FIELDS = (
    "supplier_siret",
    "supplier_siren",
    "supplier_name",
    "supplier_postcode",
    "amount",
    "category",
    "buying_entity",
    "date",
    "site_postcode",
)
IDENTITY_FIELDS = ("supplier_siret", "supplier_siren", "supplier_name")
# A line's amount beyond this is a typing error, not a purchase (and sums stay in 64 bits).
MAX_AMOUNT_CENTS = 10**14
INTERRUPTED = "import interrompu : relancez-le"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_AMOUNT = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_POSTCODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$")


class RowRefused(ValueError):
    def __init__(self, field: str, reason: str, value: Cell) -> None:
        super().__init__(reason)
        self.field, self.reason, self.value = field, reason, value


def parse_amount(cell: Cell) -> int:
    """Cents of « 1 234,56 », « 1234.56 », « 1.234,56 », « 1 234,56 € » or a number."""
    if isinstance(cell, bool) or cell is None:
        raise RowRefused("amount", "montant absent", cell)
    if isinstance(cell, int | float):
        value = Decimal(str(cell))
    else:
        text = _SPACES.sub("", str(cell)).replace("€", "").replace("EUR", "").replace("eur", "")
        if text.startswith("(") and text.endswith(")"):  # accounting's negative
            text = "-" + text[1:-1]
        if text.startswith("+"):
            text = text[1:]
        if not text:
            raise RowRefused("amount", "montant absent", cell)
        if "," in text and "." in text:
            # The later separator is the decimal one, the other groups thousands.
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "")
        elif text.count(".") > 1:
            text = text.replace(".", "")
        elif text.count(",") > 1:
            text = text.replace(",", "")
        if not _AMOUNT.match(text):
            raise RowRefused("amount", "montant illisible", cell)
        value = Decimal(text.replace(",", "."))
    try:
        cents = int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise RowRefused("amount", "montant illisible", cell) from exc
    if abs(cents) >= MAX_AMOUNT_CENTS:
        raise RowRefused("amount", "montant hors limites (plus de mille milliards d'euros)", cell)
    return cents


def _digits(cell: Cell, width: int) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return str(cell).zfill(width)  # a spreadsheet drops leading zeros of numbers
    return _SPACES.sub("", str(cell or "")).replace(".", "").replace("-", "")


def parse_siret(cell: Cell) -> str | None:
    siret = _digits(cell, 14)
    if not siret:
        return None
    problem = siret_problem(siret)
    if problem:
        reason = problem if problem.startswith("SIRET") else f"SIRET invalide : {problem}"
        raise RowRefused("supplier_siret", reason, cell)
    return siret


def parse_siren(cell: Cell) -> str | None:
    siren = _digits(cell, 9)
    if not siren:
        return None
    problem = siren_problem(siren)
    if problem:
        reason = problem if problem.startswith("SIREN") else f"SIREN invalide : {problem}"
        raise RowRefused("supplier_siren", reason, cell)
    return siren


def parse_postcode(cell: Cell, field_name: str) -> str | None:
    text = _digits(cell, 5).upper()
    if not text:
        return None
    if not _POSTCODE.match(text):
        raise RowRefused(field_name, "code postal invalide (5 chiffres attendus)", cell)
    return text


def _day_of(text: str, cell: Cell) -> date:
    """A day written JJ/MM/AAAA (or with - or .), JJ/MM/AA, or AAAA-MM-JJ."""
    try:
        if found := _DAY_FIRST.match(text):
            day, month, year = (int(part) for part in found.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        if found := _YEAR_FIRST.match(text):
            year, month, day = (int(part) for part in found.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise RowRefused("date", "date illisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ)", cell)


def parse_date(cell: Cell, year: int) -> date | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, datetime):
        day = cell.date()
    elif isinstance(cell, date):
        day = cell
    else:
        day = _day_of(str(cell).strip().split("T")[0].split(" ")[0], cell)
    if day.year != year:
        raise RowRefused("date", f"date hors de l'année {year}", cell)
    return day


def supplier_key(siret: str | None, siren: str | None, name: str, postcode: str | None) -> str:
    """The SIRET, else « siren:<SIREN> », else « nom:<folded name>|<postcode> »."""
    if siret:
        return siret
    if siren:
        return f"siren:{siren}"
    return f"nom:{fold(name)[:70]}|{postcode or ''}"


@dataclass
class RowRules:
    """How a row's cells become a spend line: the mapping's columns as positions, the year."""

    positions: Mapping[str, int]
    year: int

    def cell(self, cells: list[Cell], name: str) -> Cell:
        position = self.positions.get(name)
        if position is None or position >= len(cells):
            return None
        value = cells[position]
        return value.strip() if isinstance(value, str) else value

    def text(self, cells: list[Cell], name: str, length: int) -> str:
        return text_of(self.cell(cells, name))[:length]

    def line(self, line: int, cells: list[Cell]) -> dict[str, Any]:
        """The spend line of a row, or RowRefused naming the field and the reason."""
        siret = parse_siret(self.cell(cells, "supplier_siret"))
        siren = parse_siren(self.cell(cells, "supplier_siren"))
        if siret and siren and siret[:9] != siren:
            raise RowRefused(
                "supplier_siren", f"le SIREN ne correspond pas au SIRET {siret}", siren
            )
        siren = siren or (siret[:9] if siret else None)
        name = self.text(cells, "supplier_name", 255)
        postcode = parse_postcode(self.cell(cells, "supplier_postcode"), "supplier_postcode")
        if not (siret or siren or name):
            identity = next((f for f in IDENTITY_FIELDS if f in self.positions), "supplier_name")
            raise RowRefused(identity, "fournisseur sans SIRET, SIREN ni nom", None)
        return {
            "line": line,
            "supplier_key": supplier_key(siret, siren, name, postcode),
            "siret": siret,
            "siren": siren,
            "supplier_name": name,
            "postcode": postcode,
            "amount_cents": parse_amount(self.cell(cells, "amount")),
            "category": self.text(cells, "category", 200),
            "buying_entity": self.text(cells, "buying_entity", 200),
            "spend_date": parse_date(self.cell(cells, "date"), self.year),
            "site_postcode": parse_postcode(self.cell(cells, "site_postcode"), "site_postcode"),
        }


@dataclass(slots=True)
class _Supplier:
    siret: str | None
    siren: str | None
    name: str
    postcode: str | None
    lines: int = 0
    amount_cents: int = 0


@dataclass
class ImportRun:
    """The state of one import while it reads: counters and the suppliers seen so far."""

    upload_id: int
    rules: RowRules
    columns: list[str]
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    total_cents: int = 0
    suppliers: dict[str, _Supplier] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def take(self, line: int, cells: list[Cell]) -> None:
        self.read += 1
        try:
            values = self.rules.line(line, cells)
        except RowRefused as refused:
            self.rejected += 1
            position = self.rules.positions.get(refused.field)
            self.rejections.append(
                {
                    "upload_id": self.upload_id,
                    "line": line,
                    "column": self.columns[position][:64] if position is not None else None,
                    "reason": refused.reason[:300],
                    "value": text_of(refused.value)[:200] or None,
                }
            )
            return
        self.accepted += 1
        self.total_cents += values["amount_cents"]
        key = values["supplier_key"]
        supplier = self.suppliers.get(key)
        if supplier is None:
            supplier = self.suppliers[key] = _Supplier(
                values["siret"], values["siren"], values["supplier_name"], values["postcode"]
            )
        elif not supplier.name and values["supplier_name"]:
            supplier.name = values["supplier_name"]
        supplier.lines += 1
        supplier.amount_cents += values["amount_cents"]
        values["upload_id"] = self.upload_id
        self.lines.append(values)


# Core tables: a list of rows goes in one executemany, without the ORM's per-row work.
_LINES = SpendLine.__table__  # type: ignore[attr-defined]
_REJECTIONS = SpendRejection.__table__  # type: ignore[attr-defined]
_SUPPLIERS = SpendSupplier.__table__  # type: ignore[attr-defined]


class ImportFailed(AppError):
    status, slug, title = 422, "spend-import-failed", "Import impossible"


def _flush(session: Session, run: ImportRun) -> None:
    """The batch's lines and rejections written, the counters with them, in one commit."""
    if run.lines:
        session.execute(_LINES.insert(), run.lines)
    if run.rejections:
        session.execute(_REJECTIONS.insert(), run.rejections)
    session.execute(
        update(SpendUpload)
        .where(col(SpendUpload.id) == run.upload_id)
        .values(
            rows_read=run.read,
            rows_accepted=run.accepted,
            rows_rejected=run.rejected,
            total_cents=run.total_cents,
        )
    )
    session.commit()
    run.lines, run.rejections = [], []


def _supplier_rows(
    run: ImportRun, catalog: CatalogIdentities, choices: Mapping[str, Choice], batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The suppliers' rows with their matches, by batches: never all built at once."""
    batch: list[dict[str, Any]] = []
    for key, s in run.suppliers.items():
        match = catalog.match(s.siret, s.siren, s.name, s.postcode, choices.get(key))
        batch.append(
            {
                "upload_id": run.upload_id,
                "supplier_key": key,
                "siret": s.siret,
                "siren": s.siren,
                "name": s.name,
                "postcode": s.postcode,
                "lines": s.lines,
                "amount_cents": s.amount_cents,
                **matched_columns(match),
            }
        )
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def activate(session: Session, upload: SpendUpload) -> None:
    """The upload becomes its organisation's active one for its year, the previous active one
    `replaced`, in the caller's transaction. The organisation's row is locked first (PostgreSQL)
    so that two imports of a year finishing together leave one active, not two."""
    session.execute(
        select(Organisation.id)  # type: ignore[call-overload]
        .where(Organisation.id == upload.organisation_id)
        .with_for_update()
    )
    now = utcnow()
    session.execute(
        update(SpendUpload)
        .where(
            col(SpendUpload.organisation_id) == upload.organisation_id,
            col(SpendUpload.year) == upload.year,
            col(SpendUpload.status) == UploadStatus.ACTIVE,
            col(SpendUpload.id) != upload.id,
        )
        .values(status=UploadStatus.REPLACED, replaced_at=now)
    )
    session.execute(
        update(SpendUpload)
        .where(col(SpendUpload.id) == upload.id)
        .values(status=UploadStatus.ACTIVE, finished_at=now)
    )


def fail(engine: Engine, upload_id: int, error: str) -> None:
    """The upload marked failed with its reason; its lines and suppliers go (its rejections
    stay, they explain), the year's active upload is untouched."""
    with Session(engine) as session:
        session.execute(delete(SpendLine).where(col(SpendLine.upload_id) == upload_id))
        session.execute(delete(SpendSupplier).where(col(SpendSupplier.upload_id) == upload_id))
        session.execute(
            update(SpendUpload)
            .where(col(SpendUpload.id) == upload_id)
            .values(status=UploadStatus.FAILED, error=error[:500], finished_at=utcnow())
        )
        session.commit()


def import_lease(engine: Engine, upload_id: int) -> Lease:
    """Held by the replica running the import, for as long as it runs (see `held_during`)."""
    return Lease(engine, f"spend-import:{upload_id}")


def fail_interrupted(engine: Engine) -> int:
    """Uploads left `running` by a process that died: failed, to be started again. An import
    another replica is running holds its lease and is left alone; one just created (its lease
    not taken yet) too."""
    with Session(engine) as session:
        running = list(
            session.execute(
                select(SpendUpload.id, SpendUpload.started_at).where(  # type: ignore[call-overload]
                    col(SpendUpload.status) == UploadStatus.RUNNING
                )
            )
        )
    recent = utcnow() - timedelta(seconds=TTL_S * 2)
    candidates = [upload_id for upload_id, started_at in running if as_utc(started_at) < recent]
    alive = live(engine, [f"spend-import:{upload_id}" for upload_id in candidates])
    dead = [i for i in candidates if f"spend-import:{i}" not in alive]
    for upload_id in dead:
        fail(engine, upload_id, INTERRUPTED)
    return len(dead)


def run_import(
    engine: Engine,
    upload_id: int,
    identities: list[Mapping[str, Any]],
    store: SpendFileStore,
    batch_size: int = BATCH,
    progress: Callable[[ImportRun], None] | None = None,
) -> None:
    """Imports the upload's file; never raises: a failure is recorded on the upload."""
    try:
        _import(engine, upload_id, identities, store, batch_size, progress)
    except AppError as exc:
        fail(engine, upload_id, exc.detail)
    except Exception:
        logger.exception("spend import failed", extra={"upload_id": upload_id})
        fail(engine, upload_id, "import interrompu par une erreur inattendue : relancez-le")


def _import(
    engine: Engine,
    upload_id: int,
    identities: list[Mapping[str, Any]],
    store: SpendFileStore,
    batch_size: int,
    progress: Callable[[ImportRun], None] | None,
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        upload = session.get(SpendUpload, upload_id)
        assert upload is not None
        spend_file = session.get(SpendFile, upload.file_id)
        assert spend_file is not None
        choices = {
            c.supplier_key: Choice(c.decision, c.structure_id)
            for c in session.scalars(
                select(SpendChoice).where(
                    col(SpendChoice.organisation_id) == upload.organisation_id
                )
            )
        }
        shape = FileShape(
            spend_file.format, spend_file.encoding, spend_file.delimiter, spend_file.columns, []
        )
        positions = {
            name: spend_file.columns.index(column) for name, column in upload.mapping.items()
        }
        run = ImportRun(upload_id, RowRules(positions, upload.year), spend_file.columns)
        session.commit()
        for line, cells in rows(store.path(spend_file.stored_path), shape):
            run.take(line, cells)
            if len(run.lines) + len(run.rejections) >= batch_size:
                _flush(session, run)
                if progress:
                    progress(run)
        _flush(session, run)
        if run.read == 0:
            raise ImportFailed("le fichier ne contient aucune ligne de données après l'en-tête")
        if run.accepted == 0:
            raise ImportFailed(
                f"aucune ligne acceptée sur {run.read} : voyez les lignes refusées ; "
                "l'import précédent de l'année reste en vigueur"
            )
        catalog = CatalogIdentities(identities)
        for batch in _supplier_rows(run, catalog, choices, batch_size):
            session.execute(_SUPPLIERS.insert(), batch)
        activate(session, upload)
        session.commit()
