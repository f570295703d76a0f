"""Every query the catalog runs on import runs."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.catalog.imports.models import ImportRun


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def last_run(self, source: str) -> ImportRun | None:
        """The latest finished run of `source`."""
        return self.session.exec(
            select(ImportRun)
            .where(ImportRun.source == source, col(ImportRun.finished_at).is_not(None))
            .order_by(col(ImportRun.id).desc())
        ).first()
