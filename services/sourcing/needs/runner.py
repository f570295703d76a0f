"""Matching, notifying and reminding, at publication and then in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import UpstreamTimeout, UpstreamUnavailable
from services.common.mail import MailRelay
from services.sourcing.needs import service
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.needs.matching import Candidate, find_candidates
from services.sourcing.needs.models import Need, NeedStatus
from services.sourcing.needs.repository import NeedRepository
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings

logger = logging.getLogger(__name__)


class NeedRunner:
    def __init__(
        self,
        engine: Engine,
        search_engine: SearchEngine,
        settings: SourcingSettings,
        vocabulary: SearchVocabulary,
        directory: CatalogDirectory,
        mail_relay: MailRelay,
    ) -> None:
        self.engine, self.search_engine, self.settings = engine, search_engine, settings
        self.vocabulary, self.directory, self.mail_relay = vocabulary, directory, mail_relay

    def _need_and_history(self, need_id: int) -> tuple[Need, dict[int, float]]:
        with Session(self.engine, expire_on_commit=False) as session:
            need = NeedRepository(session).get(need_id)
            assert need is not None
            return need, service.responsiveness(session)

    def _record(self, need_id: int, candidates: list[Candidate]) -> int:
        with Session(self.engine) as session:
            added = service.record_matches(session, need_id, candidates)
            session.commit()
            return added

    async def match(self, need_id: int) -> int:
        need, history = await to_thread.run_sync(self._need_and_history, need_id)
        if need.status != NeedStatus.PUBLISHED:
            return 0
        candidates = await find_candidates(self.search_engine, need, self.vocabulary, history)
        return await to_thread.run_sync(self._record, need_id, candidates)

    async def match_published(self, need: Need) -> int:
        """At once on publication; if the engine or the database is down, the background cycle
        catches up. Returns how many matches it recorded."""
        if need.status != NeedStatus.PUBLISHED or need.id is None:
            return 0
        matched = 0
        try:
            matched = await self.match(need.id)
            await self.tell_need(need.id)
        except (UpstreamUnavailable, UpstreamTimeout, OSError, RuntimeError, OperationalError):
            pass
        return matched

    def _send(
        self,
        match_id: int,
        recipients: list[str],
        reminder: bool,
        reminders_seen: int | None = None,
    ) -> bool:
        """Tells (or reminds) one structure; with `reminders_seen`, only if it has not been
        reminded since that count was read."""
        if not recipients:
            return False
        with Session(self.engine) as session:
            needs = NeedRepository(session)
            match = needs.match(match_id)
            need = needs.get(match.need_id) if match else None
            if match is None or need is None:
                return False
            if reminders_seen is not None and match.reminders != reminders_seen:
                return False
            # Taken by this conditional update, in the transaction that queues the mail.
            if not needs.take_for_telling(match, reminder, utcnow()):
                return False
            service.notify(
                session,
                match,
                need,
                recipients,
                self.settings.identity_secret,
                self.settings.public_url,
                self.settings.answer_link_ttl_days,
                reminder=reminder,
                web_url=self.settings.web_url,
            )
            session.commit()
            return True

    def _untold(self, after_id: int, need_id: int | None) -> list[tuple[int, int]]:
        """(match id, structure id) of the next page of matches nobody was told of."""
        with Session(self.engine) as session:
            page = NeedRepository(session).untold(
                after_id, self.settings.notify_batch_size, need_id
            )
            return [(m.id, m.structure_id) for m, _ in page if m.id is not None]

    def _reminders_due(self) -> list[tuple[int, int]]:
        with Session(self.engine) as session:
            due = service.reminders_due(
                session,
                timedelta(hours=self.settings.reminder_after_hours),
                self.settings.reminder_cap,
            )
            return [(m.id, m.structure_id) for m, _ in due if m.id is not None]

    async def _tell(
        self, match_id: int, structure_id: int, reminder: bool, managers: dict[int, list[str]]
    ) -> bool:
        """Mails the structure's managers, asked of the catalog once per pass (`managers`)."""
        if structure_id not in managers:
            managers[structure_id] = await self.directory.manager_emails(structure_id)
        return await to_thread.run_sync(self._send, match_id, managers[structure_id], reminder)

    async def remind(self, targets: list[tuple[int, int, int]]) -> int:
        """A buyer's reminder: (match id, structure id, reminders when the rules were checked),
        each sent the automatic reminder's e-mail unless reminded meanwhile."""
        managers: dict[int, list[str]] = {}
        sent = 0
        for match_id, structure_id, seen in targets:
            if structure_id not in managers:
                managers[structure_id] = await self.directory.manager_emails(structure_id)
            sent += await to_thread.run_sync(
                self._send, match_id, managers[structure_id], True, seen
            )
        return sent

    async def notify_pending(self, reminders: bool = False) -> int:
        """Tells the managers a structure has now; a structure without any stays *to tell*
        (listed for staff) and is told on a later pass, once a manager has joined it."""
        managers: dict[int, list[str]] = {}
        sent = 0
        if reminders:
            for match_id, structure_id in await to_thread.run_sync(self._reminders_due):
                sent += await self._tell(match_id, structure_id, True, managers)
            return sent
        after = 0
        while sent < self.settings.notify_batch_size:
            page = await to_thread.run_sync(self._untold, after, None)
            if not page:
                break
            for match_id, structure_id in page:
                after = match_id
                sent += await self._tell(match_id, structure_id, False, managers)
                if sent >= self.settings.notify_batch_size:
                    break
        return sent

    async def tell_need(self, need_id: int) -> int:
        """At publication, within the request: the need's own first page of untold matches,
        so that the buyer does not wait on every structure without managers; the background
        pass tells the rest."""
        managers: dict[int, list[str]] = {}
        sent = 0
        for match_id, structure_id in await to_thread.run_sync(self._untold, 0, need_id):
            sent += await self._tell(match_id, structure_id, False, managers)
        return sent

    def _published(self) -> list[int]:
        with Session(self.engine) as session:
            return NeedRepository(session).published_ids()

    async def cycle(self) -> None:
        for need_id in await to_thread.run_sync(self._published):
            await self.match(need_id)
        await self.notify_pending()
        await self.notify_pending(reminders=True)
        await to_thread.run_sync(self.mail_relay.deliver_pending)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception as exc:
                logger.warning(
                    "needs cycle failed, will retry", extra={"error": type(exc).__name__}
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.rematch_interval_s)
