"""Recording changes: every write to a structure adds an outbox row in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.outbox.models import OutboxEvent
from services.common.identity import Principal


def record_structure_changes(session: Session, structure_ids: Iterable[int]) -> int:
    """The relay reads each structure's current state, so an id is all an event needs."""
    events = [OutboxEvent(structure_id=sid) for sid in dict.fromkeys(structure_ids)]
    session.add_all(events)
    return len(events)


def record_listing_change(
    session: Session,
    actor: Principal | str,
    structure_id: int,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
) -> None:
    """A change to what a structure's listing shows: its audit entry and its outbox event."""
    audit.record(session, actor, structure_id, action, entity, entity_id, changes)
    record_structure_changes(session, [structure_id])
