"""Writing and reading the audit trail."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from services.catalog.audit.models import AuditEntry
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


def page(
    session: Session, structure_id: int, offset: int, limit: int
) -> tuple[int, list[AuditEntry]]:
    statement = select(AuditEntry).where(AuditEntry.structure_id == structure_id)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit))
    return total, list(rows)
