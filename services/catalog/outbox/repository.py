"""Every query the relay runs on the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from services.catalog.outbox.models import OutboxEvent
from services.common.db import utcnow


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def pending(self, limit: int) -> list[tuple[int, int]]:
        """The oldest unprocessed events, as (event id, structure id)."""
        rows = self.session.exec(
            select(OutboxEvent.id, OutboxEvent.structure_id)
            .where(col(OutboxEvent.processed_at).is_(None))
            .order_by(col(OutboxEvent.id))
            .limit(limit)
        ).all()
        return [(event_id, structure_id) for event_id, structure_id in rows if event_id is not None]

    def pending_count(self) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(OutboxEvent)
            .where(col(OutboxEvent.processed_at).is_(None))
        ).one()

    def mark_processed(self, event_ids: list[int]) -> None:
        self.session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(event_ids))
            .values(processed_at=utcnow())
        )

    def mark_failed(self, event_ids: list[int], error: str) -> None:
        self.session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(event_ids))
            .values(attempts=OutboxEvent.attempts + 1, last_error=error[:500])
        )

    def structure_state(self, structure_id: int) -> tuple[datetime | None, datetime | None]:
        """When the oldest change of a structure still waiting was recorded, and when the
        index last applied one."""
        waiting = self.session.exec(
            select(func.min(OutboxEvent.created_at)).where(
                OutboxEvent.structure_id == structure_id, col(OutboxEvent.processed_at).is_(None)
            )
        ).one()
        applied = self.session.exec(
            select(func.max(OutboxEvent.processed_at)).where(
                OutboxEvent.structure_id == structure_id
            )
        ).one()
        return waiting, applied

    def last_event_id(self) -> int:
        return self.session.exec(select(func.max(OutboxEvent.id))).one() or 0

    def settle_up_to(self, last_id: int) -> None:
        """Marks processed every pending event up to `last_id`."""
        self.session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id) <= last_id, col(OutboxEvent.processed_at).is_(None))
            .values(processed_at=utcnow())
        )
