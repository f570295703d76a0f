"""Every query the catalog runs on import runs."""

from __future__ import annotations

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

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

    def latest_run_id(self, source: str) -> int | None:
        """The id of the latest run of `source`, finished or not."""
        return self.session.exec(
            select(func.max(ImportRun.id)).where(ImportRun.source == source)
        ).one()

    def runs(self, limit: int) -> list[ImportRun]:
        """The latest runs, newest first, without their rejections (they can be long)."""
        statement = (
            select(ImportRun)
            .options(defer(ImportRun.rejections))  # type: ignore[arg-type]
            .order_by(col(ImportRun.id).desc())
            .limit(limit)
        )
        return list(self.session.exec(statement))

    def run(self, run_id: int) -> ImportRun | None:
        return self.session.get(ImportRun, run_id)
