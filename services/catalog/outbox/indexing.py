"""Whether a structure's last changes reached the search index, read from the outbox."""

from __future__ import annotations

from sqlmodel import Session

from services.catalog.outbox.repository import OutboxRepository
from services.catalog.outbox.schemas import IndexingStatus
from services.catalog.structures.models import Structure
from services.common.db import as_utc


def status_of(session: Session, structure: Structure) -> IndexingStatus:
    assert structure.id is not None
    waiting, applied = OutboxRepository(session).structure_state(structure.id)
    return IndexingStatus(
        searchable=waiting is None,
        pending_since=as_utc(waiting),
        last_indexed_at=as_utc(applied),
        version=structure.version,
    )
