"""Saved searches' digests: each due search is run again in full, and its owner is mailed the
structures that newly match it — each structure once per saved search, however often it runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from fastapi.exceptions import RequestValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import AppError
from services.common.mail import MailRelay, queue_mail
from services.domain.search import SOURCES
from services.sourcing.alerts.links import make_token
from services.sourcing.alerts.models import Frequency, SavedSearch
from services.sourcing.alerts.params import search_request
from services.sourcing.alerts.repository import SavedSearchRepository
from services.sourcing.alerts.results import RESULT_CAP, Found, whole_result
from services.sourcing.alerts.service import search_url
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings

logger = logging.getLogger(__name__)
# A digest names this many structures; the search link shows them all.
LISTED = 50
EVERY = {Frequency.DAILY: "chaque jour", Frequency.WEEKLY: "chaque semaine"}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def digest_mail(row: SavedSearch, new: list[Found], website: str, secret: str) -> tuple[str, str]:
    """The subject and plain-text body of a digest."""
    assert row.id is not None
    count = len(new)
    subject = (
        f"{count} {_plural(count, 'nouvelle structure', 'nouvelles structures')} pour votre "
        f"recherche « {row.name} »"
    )[:200]
    lines = []
    for found in new[:LISTED]:
        where = ", ".join(
            p
            for p in (found.city, f"({found.department_code})" if found.department_code else "")
            if p
        )
        about = " — ".join(p for p in (found.kind_label, where) if p)
        lines.append(f"- {found.name}" + (f" ({about})" if about else ""))
        lines.append(f"  {website}/structures/{found.id}")
    if count > LISTED:
        lines.append(f"… et {count - LISTED} autres, à voir dans la recherche.")
    token = make_token(secret, row.id, row.link_salt)
    body = (
        "Bonjour,\n\n"
        + f"{count} {_plural(count, 'structure correspond', 'structures correspondent')} "
        + f"désormais à votre recherche enregistrée « {row.name} » :\n\n"
        + "\n".join(lines)
        + f"\n\nVoir la recherche :\n{search_url(website, row.query)}\n\n"
        + f"Vous recevez cette alerte {EVERY.get(row.frequency, '')} parce que vous avez "
        + "enregistré cette recherche sur Marché inclusif.\n"
        + "Pour ne plus la recevoir, sans vous connecter :\n"
        + f"{website}/alertes/desinscription?token={token}\n\n"
        + f"{SOURCES}\n"
    )
    return subject, body


class DigestRunner:
    """Made in the lifespan and run as a loop; `send_due` is what each pass does."""

    def __init__(
        self,
        engine: Engine,
        search_engine: SearchEngine,
        vocabulary: SearchVocabulary,
        settings: SourcingSettings,
        mail_relay: MailRelay,
    ) -> None:
        self.engine, self.search_engine, self.vocabulary = engine, search_engine, vocabulary
        self.settings, self.mail_relay = settings, mail_relay

    def _period(self, frequency: Frequency) -> timedelta:
        seconds = (
            self.settings.digest_daily_after_s
            if frequency == Frequency.DAILY
            else self.settings.digest_weekly_after_s
        )
        return timedelta(seconds=seconds)

    def due(self, now: datetime) -> list[SavedSearch]:
        """Daily searches a day after their last digest (or their baseline), weekly ones a week."""
        with Session(self.engine, expire_on_commit=False) as session:
            rows = SavedSearchRepository(session).subscribed()
            return [
                row
                for row in rows
                if now - _aware(row.last_digest_at) >= self._period(row.frequency)
            ]

    def _record(self, row: SavedSearch, found: list[Found], now: datetime) -> int:
        """In one transaction: the digest taken, the new structures recorded as reported and the
        mail queued; a concurrent digest of the same search makes this one a no-op."""
        assert row.id is not None and row.owner_email is not None
        with Session(self.engine) as session:
            repository = SavedSearchRepository(session)
            if not repository.take_for_digest(row, now):
                session.rollback()
                return 0
            known = repository.known_structures(row.id)
            new = [f for f in found if f.id not in known]
            repository.account_for(row.id, [f.id for f in new], now)
            if new:
                subject, body = digest_mail(
                    row, new, self.settings.website, self.settings.identity_secret
                )
                queue_mail(session, row.owner_email, subject, body)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return 0
            return len(new)

    async def digest(self, row: SavedSearch, now: datetime) -> int:
        """How many structures the owner is told of now (0 when nothing is new)."""
        try:
            request = search_request(row.params, self.vocabulary)
        except RequestValidationError:
            # The vocabulary changed under the saved parameters: the owner has to edit them.
            logger.warning("saved search no longer valid", extra={"saved_search_id": row.id})
            return 0
        found, total = await whole_result(self.search_engine, request, RESULT_CAP)
        if total > RESULT_CAP:
            logger.warning(
                "saved search beyond the cap, read in part",
                extra={"saved_search_id": row.id, "total": total},
            )
        return await to_thread.run_sync(self._record, row, found, now)

    async def send_due(self, now: datetime | None = None, deliver: bool = True) -> int:
        """Every due digest, then the mail relay at once; returns the structures reported."""
        moment = now or utcnow()
        reported = 0
        for row in await to_thread.run_sync(self.due, moment):
            try:
                reported += await self.digest(row, moment)
            except AppError as exc:  # the engine is down: the next pass tries again
                logger.warning(
                    "digest failed, will retry",
                    extra={"saved_search_id": row.id, "error": type(exc).__name__},
                )
        if deliver and reported:
            await to_thread.run_sync(self.mail_relay.deliver_pending)
        return reported

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.send_due()
            except Exception as exc:
                logger.warning(
                    "digest pass failed, will retry", extra={"error": type(exc).__name__}
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.digest_interval_s)
