"""The relay: drains the outbox into the search index, idempotently, retrying until it succeeds."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from services.catalog.imports.models import ImportRun
from services.catalog.imports.repository import ImportRepository
from services.catalog.indexing.document import (
    DOCUMENT_VERSION,
    Vocabulary,
    content_hash,
    load_documents,
)
from services.catalog.indexing.index import SearchIndexWriter
from services.catalog.outbox.repository import OutboxRepository
from services.catalog.outbox.service import record_structure_changes
from services.catalog.reference.loader import REFERENCE_SOURCE
from services.catalog.structures.repository import StructureRepository
from services.common.db import utcnow
from services.common.index_generation import GenerationPublisher, NoGenerations

logger = logging.getLogger(__name__)
INDEX_SCHEMA_SOURCE = "index-schema"


@dataclass
class DriftReport:
    """Differences between the catalog and the index; `repaired` once they were relayed again."""

    missing: list[int]  # active in the catalog, absent from the index
    ghosts: list[int]  # in the index, not active in the catalog
    stale: list[int]  # in both, with different content
    repaired: bool = False

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.ghosts) + len(self.stale)


@dataclass
class _Batch:
    event_ids: list[int]
    documents: list[dict[str, Any]]
    removed_ids: list[int]


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        writer: SearchIndexWriter,
        batch_size: int = 1000,
        interval_s: float = 0.2,
        max_backoff_s: float = 10.0,
        rebuild_batch_size: int = 2000,
        generations: GenerationPublisher | None = None,
    ) -> None:
        self.engine = engine
        self.writer = writer
        # Told once the engine has applied a change, so that cached answers older than it die.
        self.generations = generations or NoGenerations()
        self.batch_size = batch_size
        # Fewer, larger payloads for a rebuild: the engine pays a cost per batch it indexes.
        self.rebuild_batch_size = rebuild_batch_size
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.wakeup = asyncio.Event()
        self._vocabulary: Vocabulary | None = None
        self._reference_run: int | None = None
        self._vocabulary_loaded_at = 0.0

    def _current_vocabulary(self, session: Session) -> Vocabulary:
        """Reference labels and geography change rarely: every few minutes the relay looks
        whether the reference data was loaded again, and reloads them only then."""
        if self._vocabulary is None or time.monotonic() - self._vocabulary_loaded_at > 300:
            loaded = ImportRepository(session).latest_run_id(REFERENCE_SOURCE)
            if self._vocabulary is None or loaded != self._reference_run:
                self._vocabulary = Vocabulary.load(session)
                self._reference_run = loaded
            self._vocabulary_loaded_at = time.monotonic()
        return self._vocabulary

    def _read_batch(self) -> _Batch:
        with Session(self.engine) as session:
            events = OutboxRepository(session).pending(self.batch_size)
            if not events:
                return _Batch([], [], [])
            structure_ids = list(dict.fromkeys(sid for _, sid in events))
            documents, removed = load_documents(
                session, structure_ids, self._current_vocabulary(session)
            )
            return _Batch([eid for eid, _ in events], documents, removed)

    def _mark(self, event_ids: list[int], error: str | None) -> None:
        with Session(self.engine) as session:
            outbox = OutboxRepository(session)
            if error is None:
                outbox.mark_processed(event_ids)
            else:
                outbox.mark_failed(event_ids, error)
            session.commit()

    async def drain_once(self) -> int:
        """Pushes one batch of pending changes; returns how many events it settled."""
        batch = await to_thread.run_sync(self._read_batch)
        if not batch.event_ids:
            return 0
        try:
            await self.writer.write(batch.documents, batch.removed_ids)
            # Published before the events are settled: when Redis cannot be told, the batch
            # fails and is relayed (and published) again, so no cached answer outlives it.
            await self.generations.publish()
        except Exception as exc:
            await self._publish_quietly()  # part of the batch may have been applied
            await to_thread.run_sync(self._mark, batch.event_ids, f"{type(exc).__name__}: {exc}")
            raise
        await to_thread.run_sync(self._mark, batch.event_ids, None)
        return len(batch.event_ids)

    async def _publish_quietly(self) -> None:
        try:
            await self.generations.publish()
        except Exception as exc:
            logger.warning("index generation not published", extra={"error": type(exc).__name__})

    async def drain(self) -> int:
        total = 0
        while processed := await self.drain_once():
            total += processed
        return total

    def pending(self) -> int:
        with Session(self.engine) as session:
            return OutboxRepository(session).pending_count()

    async def run(self, stop: asyncio.Event) -> None:
        """Drains forever; on failure (search engine down) backs off and tries again.

        Woken at once by every commit on the catalog's database, so that a write reaches the
        index without waiting for the next poll; polling stays as the fallback."""
        loop = asyncio.get_running_loop()

        def committed(_connection: Connection) -> None:
            loop.call_soon_threadsafe(self.wakeup.set)

        event.listen(self.engine, "commit", committed)
        # The index may have changed while nobody published (a start, a restore): a new
        # generation retires whatever the gateways cached before.
        await self._publish_quietly()
        try:
            await self._run(stop)
        finally:
            event.remove(self.engine, "commit", committed)

    async def _run(self, stop: asyncio.Event) -> None:
        backoff = self.interval_s
        while not stop.is_set():
            # Cleared before draining: a commit made while the batch is relayed wakes the next.
            self.wakeup.clear()
            failed = False
            try:
                processed = await self.drain()
                backoff = self.interval_s
                if processed:
                    logger.info("outbox relayed", extra={"events": processed})
            except Exception as exc:
                logger.warning(
                    "outbox relay failed, will retry",
                    extra={"error": type(exc).__name__, "retry_in_s": backoff},
                )
                backoff = min(backoff * 2, self.max_backoff_s)
                failed = True
            waiters = [asyncio.create_task(stop.wait())]
            if not failed:  # after a failure, commits do not cut the back-off short
                waiters.append(asyncio.create_task(self.wakeup.wait()))
            await asyncio.wait(waiters, timeout=backoff, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    def _active_ids(self) -> list[int]:
        with Session(self.engine) as session:
            return StructureRepository(session).active_ids()

    def _documents_for(self, ids: list[int]) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            documents, _ = load_documents(session, ids, self._current_vocabulary(session))
            return documents

    def _last_event_id(self) -> int:
        with Session(self.engine) as session:
            return OutboxRepository(session).last_event_id()

    def _settle_up_to(self, last_id: int) -> None:
        with Session(self.engine) as session:
            OutboxRepository(session).settle_up_to(last_id)
            session.commit()

    async def rebuild(self) -> int:
        """Builds a fresh index beside the live one and swaps it in atomically.

        Changes recorded before the rebuild read the catalog are in it: their events are settled.
        """
        started = time.monotonic()
        last_event = await to_thread.run_sync(self._last_event_id)
        new_uid = f"{self.writer.uid}_rebuild_{int(time.time() * 1000)}"
        await self.writer.ensure_ready(new_uid)
        ids = await to_thread.run_sync(self._active_ids)
        # Documents are built while the engine indexes the batches queued before them.
        queued = []
        for start in range(0, len(ids), self.rebuild_batch_size):
            documents = await to_thread.run_sync(
                self._documents_for, ids[start : start + self.rebuild_batch_size]
            )
            queued.append(await self.writer.enqueue(documents, new_uid))
        await self.writer.settle(queued)
        await self.writer.swap_in(new_uid)
        await self.generations.publish()
        await to_thread.run_sync(self._settle_up_to, last_event)
        logger.info(
            "index rebuilt",
            extra={"documents": len(ids), "seconds": round(time.monotonic() - started, 2)},
        )
        return len(ids)

    def active_count(self) -> int:
        with Session(self.engine) as session:
            return StructureRepository(session).active_count()

    def _catalog_hashes(self) -> dict[int, str]:
        ids = self._active_ids()
        hashes: dict[int, str] = {}
        for start in range(0, len(ids), self.batch_size):
            for document in self._documents_for(ids[start : start + self.batch_size]):
                hashes[int(document["id"])] = str(document["content_hash"])
        return hashes

    async def _index_hashes(self) -> dict[int, str]:
        hashes: dict[int, str] = {}
        offset = 0
        while True:
            documents, total = await self.writer.documents(offset, self.batch_size)
            # Recomputed from what the index holds, not read from it: an edit made behind
            # the catalog's back would leave the stored hash untouched.
            hashes |= {int(d["id"]): content_hash(d) for d in documents}
            offset += len(documents)
            if not documents or offset >= total:
                return hashes

    async def check_drift(self, repair: bool = False) -> DriftReport:
        """Compares ids and content hashes of the catalog and the index; can repair through
        the outbox, so that repairs take the same path as every other change."""
        catalog = await to_thread.run_sync(self._catalog_hashes)
        indexed = await self._index_hashes()
        report = DriftReport(
            missing=sorted(catalog.keys() - indexed.keys()),
            ghosts=sorted(indexed.keys() - catalog.keys()),
            stale=sorted(i for i in catalog.keys() & indexed.keys() if catalog[i] != indexed[i]),
        )
        if repair and report.total:
            await to_thread.run_sync(self._record, report.missing + report.ghosts + report.stale)
            await self.drain()
            report.repaired = True
        return report

    def _record(self, structure_ids: list[int]) -> None:
        with Session(self.engine) as session:
            record_structure_changes(session, structure_ids)
            session.commit()

    def schema_fingerprint(self) -> str:
        """The document shape and the index settings: when either changes, rebuild."""
        settings = self.writer.settings.model_dump_json(by_alias=True)
        return hashlib.sha256(f"{DOCUMENT_VERSION}\0{settings}".encode()).hexdigest()

    def _last_schema(self) -> str | None:
        with Session(self.engine) as session:
            run = ImportRepository(session).last_run(INDEX_SCHEMA_SOURCE)
            return run.file_sha256 if run else None

    def _record_schema(self, fingerprint: str, documents: int) -> None:
        with Session(self.engine) as session:
            session.add(
                ImportRun(
                    source=INDEX_SCHEMA_SOURCE,
                    file_sha256=fingerprint,
                    finished_at=utcnow(),
                    created=documents,
                )
            )
            session.commit()

    async def sync(self) -> tuple[str, int]:
        """Brings the index up to the catalog: relays pending changes, and rebuilds when the
        document shape or settings changed, or when the index lost documents."""
        fingerprint = self.schema_fingerprint()
        if fingerprint != await to_thread.run_sync(self._last_schema):
            reason, drained = "forme des documents ou réglages changés", 0
        else:
            drained = await self.drain()
            indexed, active = await self.writer.document_count(), self.active_count()
            if indexed == active:
                return "à jour", drained
            reason = f"index incomplet ({indexed} documents pour {active} structures)"
        count = await self.rebuild()
        drained += await self.drain()
        await to_thread.run_sync(self._record_schema, fingerprint, count)
        return f"reconstruit ({reason})", drained
