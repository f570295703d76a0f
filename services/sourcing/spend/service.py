"""The rules of spend files and imports: a member of the organisation sends a file, maps its
columns, starts the import of a year in a worker thread and waits a while for it; members read
the history of imports and their rejections."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from services.common.errors import InvalidParameter, NotFound
from services.common.identity import Principal
from services.common.lease import held_during
from services.common.spreadsheet import safe_cell
from services.sourcing.projects.organisations import reach
from services.sourcing.projects.repository import OrganisationRepository
from services.sourcing.projects.service import in_transaction
from services.sourcing.spend.files import MIB, SpendFileStore, SpendFileTooLarge
from services.sourcing.spend.importer import FIELDS, IDENTITY_FIELDS, import_lease, run_import
from services.sourcing.spend.models import SpendFile, SpendUpload, UploadStatus
from services.sourcing.spend.reader import FileShape, SpendFileRefused, inspect, suggested_mapping
from services.sourcing.spend.repository import SpendRepository
from services.sourcing.spend.schemas import (
    FileView,
    RejectionView,
    UploadCreate,
    UploadFile,
    UploadList,
    UploadView,
)
from services.sourcing.spend.suppliers import euros

if TYPE_CHECKING:
    from services.sourcing.state import SourcingState


def store_of(state: SourcingState) -> SpendFileStore:
    return SpendFileStore(state.settings.spend_dir)


def _file_view(spend_file: SpendFile, shape: FileShape) -> FileView:
    assert spend_file.id is not None
    return FileView(
        id=spend_file.id,
        name=spend_file.name,
        format=spend_file.format,
        encoding=spend_file.encoding,
        delimiter=spend_file.delimiter,
        size_bytes=spend_file.size_bytes,
        sha256=spend_file.sha256,
        columns=spend_file.columns,
        preview=shape.preview,
        suggested_mapping=suggested_mapping(shape.columns),
        uploaded_at=spend_file.uploaded_at,
    )


def _file_name(name: str | None) -> str:
    cleaned = "".join(c for c in (name or "") if c.isprintable()).strip()
    return (cleaned.replace("/", "_").replace("\\", "_") or "dépenses")[:200]


async def upload_file(
    state: SourcingState,
    principal: Principal,
    organisation_id: int,
    name: str | None,
    body: AsyncIterator[bytes],
    declared_length: str | None = None,
) -> FileView:
    """The body stored under its digest once checked from its bytes; refused whole otherwise."""
    await in_transaction(state, lambda s: reach(s, principal, organisation_id, write=True))
    limit = state.settings.spend_max_bytes
    if declared_length and declared_length.isdigit() and int(declared_length) > limit:
        raise SpendFileTooLarge(f"Le fichier dépasse {limit // MIB} Mio : découpez-le.")
    store = store_of(state)
    received = await store.receive(body, state.settings.spend_max_bytes)

    def record(session: Session) -> FileView:
        try:
            shape = inspect(received.path)
        except SpendFileRefused:
            SpendFileStore.discard(received)
            raise
        stored = store.keep(received)
        spend_file = SpendFile(
            organisation_id=organisation_id,
            name=_file_name(name),
            sha256=received.sha256,
            format=shape.format,
            size_bytes=received.size,
            stored_path=stored,
            encoding=shape.encoding,
            delimiter=shape.delimiter,
            columns=shape.columns,
            uploaded_by=principal.account_id[:64],
        )
        SpendRepository(session).save(spend_file)
        return _file_view(spend_file, shape)

    try:
        return await in_transaction(state, record)
    except BaseException:
        SpendFileStore.discard(received)
        raise


def _reached_file(
    session: Session, principal: Principal, organisation_id: int, file_id: int, write: bool
) -> SpendFile:
    reach(session, principal, organisation_id, write=write)
    spend_file = SpendRepository(session).file(organisation_id, file_id)
    if spend_file is None:
        raise NotFound(f"Fichier de dépenses {file_id} introuvable dans cette organisation.")
    return spend_file


def read_file(
    session: Session,
    store: SpendFileStore,
    principal: Principal,
    organisation_id: int,
    file_id: int,
) -> FileView:
    spend_file = _reached_file(session, principal, organisation_id, file_id, write=False)
    path = store.path(spend_file.stored_path)
    if not path.exists():
        raise NotFound(f"Le fichier {file_id} n'est plus conservé : envoyez-le à nouveau.")
    return _file_view(spend_file, inspect(path))


def check_mapping(mapping: dict[str, str], columns: list[str]) -> None:
    """Known fields, columns of the file, the amount and one supplier identity at least."""
    for field, column in mapping.items():
        if field not in FIELDS:
            raise InvalidParameter(
                f"mapping.{field}",
                "champ inconnu ; champs possibles : " + ", ".join(FIELDS),
                "body",
            )
        if column not in columns:
            raise InvalidParameter(
                f"mapping.{field}", f"colonne « {column[:100]} » absente du fichier", "body"
            )
    if "amount" not in mapping:
        raise InvalidParameter("mapping.amount", "la colonne du montant HT est obligatoire", "body")
    if not any(field in mapping for field in IDENTITY_FIELDS):
        raise InvalidParameter(
            "mapping.supplier_siret",
            "indiquez au moins la colonne du SIRET, du SIREN ou du nom du fournisseur",
            "body",
        )


def upload_view(session: Session, upload: SpendUpload) -> UploadView:
    assert upload.id is not None
    spend = SpendRepository(session)
    spend_file = spend.session.get(SpendFile, upload.file_id)
    assert spend_file is not None and spend_file.id is not None
    member = OrganisationRepository(session).member_by_account(
        upload.organisation_id, upload.started_by
    )
    return UploadView(
        id=upload.id,
        organisation_id=upload.organisation_id,
        year=upload.year,
        status=upload.status,
        file=UploadFile(id=spend_file.id, name=spend_file.name, format=spend_file.format),
        mapping=upload.mapping,
        rows_read=upload.rows_read,
        rows_accepted=upload.rows_accepted,
        rows_rejected=upload.rows_rejected,
        total_eur=euros(upload.total_cents),
        started_at=upload.started_at,
        started_by=upload.started_by,
        started_by_email=member.email if member is not None else None,
        finished_at=upload.finished_at,
        replaced_at=upload.replaced_at,
        error=upload.error,
        rejections=[
            RejectionView(line=r.line, column=r.column, reason=r.reason, value=r.value)
            for r in spend.first_rejections(upload.id)
        ],
        matches=spend.match_counts(upload.id),
    )


def read_upload(
    session: Session, principal: Principal, organisation_id: int, upload_id: int
) -> UploadView:
    reach(session, principal, organisation_id, write=False)
    upload = SpendRepository(session).upload(organisation_id, upload_id)
    if upload is None:
        raise NotFound(f"Import de dépenses {upload_id} introuvable dans cette organisation.")
    return upload_view(session, upload)


def history(
    session: Session, principal: Principal, organisation_id: int, year: int | None
) -> UploadList:
    reach(session, principal, organisation_id, write=False)
    uploads = SpendRepository(session).uploads(organisation_id, year)
    return UploadList(items=[upload_view(session, u) for u in uploads])


def rejections_csv(
    session: Session, principal: Principal, organisation_id: int, upload_id: int
) -> Iterator[str]:
    """Every refused row: ligne;colonne;motif;valeur, formula-safe, by batches."""
    reach(session, principal, organisation_id, write=False)
    spend = SpendRepository(session)
    if spend.upload(organisation_id, upload_id) is None:
        raise NotFound(f"Import de dépenses {upload_id} introuvable dans cette organisation.")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["ligne", "colonne", "motif", "valeur"])
    for count, rejection in enumerate(spend.rejections(upload_id), start=1):
        writer.writerow(
            [
                rejection.line,
                *(safe_cell(v) for v in (rejection.column, rejection.reason, rejection.value)),
            ]
        )
        if count % 5000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass(frozen=True)
class Started:
    upload: UploadView
    finished: bool


def _prepare(
    session: Session,
    principal: Principal,
    organisation_id: int,
    payload: UploadCreate,
    store: SpendFileStore,
) -> None:
    spend_file = _reached_file(session, principal, organisation_id, payload.file_id, write=True)
    check_mapping(payload.mapping, spend_file.columns)
    if not store.path(spend_file.stored_path).exists():
        raise InvalidParameter(
            "file_id", "le fichier n'est plus disponible : envoyez-le à nouveau", "body"
        )


async def start_import(
    state: SourcingState, principal: Principal, organisation_id: int, payload: UploadCreate
) -> Started:
    """Checks the request, fetches the catalog's identities, starts the import in a worker
    thread and waits for it up to the configured delay."""
    store = store_of(state)
    await in_transaction(state, lambda s: _prepare(s, principal, organisation_id, payload, store))
    identities: list[Any] = await state.runner.directory.identities()

    def create(session: Session) -> int:
        upload = SpendUpload(
            organisation_id=organisation_id,
            file_id=payload.file_id,
            year=payload.year,
            status=UploadStatus.RUNNING,
            mapping=payload.mapping,
            started_by=principal.account_id[:64],
        )
        SpendRepository(session).save(upload)
        assert upload.id is not None
        return upload.id

    upload_id = await in_transaction(state, create)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finished() -> None:
        if not done.done():
            done.set_result(None)

    def work() -> None:
        try:
            # Its lease tells the other replicas this import is alive (see fail_interrupted).
            with held_during(import_lease(state.engine, upload_id)):
                run_import(state.engine, upload_id, identities, store)
        finally:
            # The loop may have closed meanwhile (shutdown): then nobody waits.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finished)

    threading.Thread(target=work, name=f"spend-import-{upload_id}", daemon=True).start()
    try:
        await asyncio.wait_for(asyncio.shield(done), state.settings.spend_import_wait_s)
        complete = True
    except TimeoutError:
        complete = False

    def view(session: Session) -> UploadView:
        upload = session.get(SpendUpload, upload_id)
        assert upload is not None
        return upload_view(session, upload)

    return Started(await in_transaction(state, view), complete)
