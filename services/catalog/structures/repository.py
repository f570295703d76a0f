"""Every query the catalog runs on structures."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from services.catalog.structures.kinds import Kind
from services.catalog.structures.models import Activity, Structure


class StructureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, structure_id: int) -> Structure | None:
        return self.session.get(Structure, structure_id)

    def activities_of(self, structure_ids: list[int]) -> dict[int, list[Activity]]:
        grouped: dict[int, list[Activity]] = {sid: [] for sid in structure_ids}
        for activity in self.session.exec(
            select(Activity)
            .where(col(Activity.structure_id).in_(structure_ids))
            .order_by(col(Activity.id))
        ):
            grouped[activity.structure_id].append(activity)
        return grouped

    def page(self, kind: Kind | None, offset: int, limit: int) -> tuple[int, list[Structure]]:
        statement = select(Structure).where(col(Structure.is_active))
        if kind is not None:
            statement = statement.where(Structure.kind == kind)
        total = self.session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = self.session.exec(
            statement.order_by(col(Structure.id)).offset(offset).limit(limit)
        ).all()
        return total, list(rows)
