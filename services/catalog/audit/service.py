"""Writing and reading the audit trail."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.audit.models import AuditEntry
from services.catalog.audit.repository import AuditRepository
from services.catalog.audit.schemas import AuditEntryPublic, AuditPage
from services.common.identity import Principal


def _jsonable(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [_jsonable(before.get(name)), _jsonable(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    session: Session,
    actor: Principal | str,
    structure_id: int,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any] | None = None,
) -> None:
    if isinstance(actor, Principal):
        who, role = actor.account_id, actor.role.value
    else:
        who, role = actor, "system"
    session.add(
        AuditEntry(
            structure_id=structure_id,
            actor=who,
            actor_role=role,
            action=action,
            entity=entity,
            entity_id=entity_id,
            changes=changes or {},
        )
    )


def trail(
    session: Session, structure_id: int, offset: int, limit: int, reveal_private: bool
) -> AuditPage:
    total, rows = AuditRepository(session).page(structure_id, offset, limit)
    items = [AuditEntryPublic.model_validate(r.model_dump()) for r in rows]
    if not reveal_private:
        for item in items:
            item.changes = _without_private_values(item.changes)
    return AuditPage(total=total, items=items)


# The verification address is private even to the structure's managers (an editor who joined
# must not read where the codes go): its history says that it changed, not what it is.
PRIVATE_FIELDS = frozenset({"contact_email"})


def _without_private_values(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (
            [None if value is None else "[masqué]" for value in values]
            if name in PRIVATE_FIELDS and isinstance(values, list)
            else values
        )
        for name, values in changes.items()
    }
