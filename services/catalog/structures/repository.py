"""Every query the catalog runs on structures."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, col, func, select

from services.catalog.structures.models import Activity, Offer, Structure
from services.domain.kinds import Kind

Owned = TypeVar("Owned", Activity, Offer)


def by_structure(
    session: Session, table: type[Owned], structure_ids: list[int]
) -> dict[int, list[Owned]]:
    """The rows of `table` for each of `structure_ids`, in id order (an empty list for none)."""
    grouped: dict[int, list[Owned]] = {sid: [] for sid in structure_ids}
    for row in session.exec(
        select(table).where(col(table.structure_id).in_(structure_ids)).order_by(col(table.id))
    ):
        grouped[row.structure_id].append(row)
    return grouped


class StructureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, structure_id: int) -> Structure | None:
        return self.session.get(Structure, structure_id)

    def activities_of(self, structure_ids: list[int]) -> dict[int, list[Activity]]:
        return by_structure(self.session, Activity, structure_ids)

    def page(self, kind: Kind | None, offset: int, limit: int) -> tuple[int, list[Structure]]:
        statement = select(Structure).where(col(Structure.is_active))
        if kind is not None:
            statement = statement.where(Structure.kind == kind)
        total = self.session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = self.session.exec(
            statement.order_by(col(Structure.id)).offset(offset).limit(limit)
        ).all()
        return total, list(rows)
