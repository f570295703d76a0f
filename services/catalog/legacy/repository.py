"""The queries of the reference platform's structure listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from services.catalog.structures.models import Activity, Structure


@dataclass(frozen=True)
class LegacyFilters:
    """What the database filters; the rest is filtered on the rows it returns."""

    is_active: bool | None = None
    kinds: frozenset[str] = frozenset()
    department: str | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    siren: str | None = None
    siret: str | None = None
    structure_ids: tuple[int, ...] = ()
    sectors: frozenset[str] = frozenset()


class LegacyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def structures(self, filters: LegacyFilters) -> list[Structure]:
        statement = select(Structure).order_by(col(Structure.id))
        if filters.is_active is not None:
            statement = statement.where(Structure.is_active == filters.is_active)
        if filters.kinds:
            statement = statement.where(col(Structure.kind).in_(filters.kinds))
        if filters.department:
            statement = statement.where(Structure.department_code == filters.department)
        if filters.updated_after:
            statement = statement.where(Structure.updated_at >= filters.updated_after)
        if filters.updated_before:
            statement = statement.where(Structure.updated_at <= filters.updated_before)
        if filters.siren:
            statement = statement.where(Structure.siren == filters.siren)
        if filters.siret:
            statement = statement.where(Structure.siret == filters.siret)
        for structure_id in filters.structure_ids:
            statement = statement.where(Structure.id == structure_id)
        if filters.sectors:
            statement = statement.where(
                col(Structure.id).in_(
                    select(Activity.structure_id).where(
                        col(Activity.sector_slug).in_(filters.sectors)
                    )
                )
            )
        return list(self.session.exec(statement))
