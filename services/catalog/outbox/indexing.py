"""Whether a structure's last changes reached the search index, read from the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from services.catalog.outbox.repository import OutboxRepository
from services.catalog.outbox.schemas import IndexingStatus
from services.catalog.structures.models import Structure


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive date-times; the outbox stores them in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def status_of(session: Session, structure: Structure) -> IndexingStatus:
    assert structure.id is not None
    waiting, applied = OutboxRepository(session).structure_state(structure.id)
    return IndexingStatus(
        searchable=waiting is None,
        pending_since=_aware(waiting),
        last_indexed_at=_aware(applied),
        version=structure.version,
    )
