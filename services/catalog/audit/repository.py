"""Every query the catalog runs on the audit trail."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from services.catalog.audit.models import AuditEntry


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, structure_id: int, offset: int, limit: int) -> tuple[int, list[AuditEntry]]:
        """A structure's entries, latest first, and how many it has in all."""
        statement = select(AuditEntry).where(AuditEntry.structure_id == structure_id)
        total = self.session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = self.session.exec(
            statement.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
        )
        return total, list(rows)
