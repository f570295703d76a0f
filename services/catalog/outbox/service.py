"""Recording changes: every write to a structure adds an outbox row in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from services.catalog.outbox.models import OutboxEvent


def record_structure_changes(session: Session, structure_ids: Iterable[int]) -> int:
    """The relay reads each structure's current state, so an id is all an event needs."""
    events = [OutboxEvent(structure_id=sid) for sid in dict.fromkeys(structure_ids)]
    session.add_all(events)
    return len(events)
