"""Every query the catalog runs on structures."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import case
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

    def offers_of(self, structure_ids: list[int]) -> dict[int, list[Offer]]:
        return by_structure(self.session, Offer, structure_ids)

    def child(self, table: type[Owned], child_id: int) -> Owned | None:
        return self.session.get(table, child_id)

    def offers(self, structure_id: int, include_inactive: bool) -> list[Offer]:
        statement = select(Offer).where(Offer.structure_id == structure_id)
        if not include_inactive:
            statement = statement.where(col(Offer.is_active))
        return list(self.session.exec(statement.order_by(col(Offer.id))))

    def imported_from(self, key_prefix: str) -> list[Structure]:
        """The structures whose import key starts with a source's prefix."""
        return list(
            self.session.exec(
                select(Structure).where(col(Structure.import_key).startswith(key_prefix))
            )
        )

    def with_activities(self) -> set[int]:
        return set(self.session.exec(select(Activity.structure_id).distinct()))

    def identities(self) -> list[dict[str, Any]]:
        """Every active structure's identifying fields, in id order: what buyers' spend is
        matched against (columns only, no row objects, for the whole catalog at once)."""
        names = (
            "id",
            "siret",
            "siren",
            "name",
            "brand",
            "postcode",
            "commune_code",
            "department_code",
            "region_code",
            "kind",
            "family",
            "is_qpv",
            "is_zrr",
        )
        columns = [col(getattr(Structure, name)) for name in names]
        rows = self.session.execute(
            select(*columns).where(col(Structure.is_active)).order_by(col(Structure.id))
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def active_with_siret(self, siret: str) -> list[Structure]:
        return list(
            self.session.exec(
                select(Structure).where(Structure.siret == siret, col(Structure.is_active))
            )
        )

    def active_ids(self) -> list[int]:
        return [
            sid
            for sid in self.session.exec(
                select(Structure.id).where(col(Structure.is_active)).order_by(col(Structure.id))
            )
            if sid is not None
        ]

    def lookup(
        self,
        *,
        siret: str | None = None,
        siren: str | None = None,
        words: list[str] | None = None,
        department: str | None = None,
        include_inactive: bool = False,
        limit: int = 20,
    ) -> list[Structure]:
        """Structures by SIRET, by SIREN (or FINESS), or whose folded name and brand hold every
        word; names that start with the first word first, then by name."""
        statement = select(Structure)
        if siret is not None:
            statement = statement.where(Structure.siret == siret)
        elif siren is not None:
            statement = statement.where((Structure.siren == siren) | (Structure.finess == siren))
        for word in words or []:
            statement = statement.where(col(Structure.search_name).contains(word, autoescape=True))
        if department is not None:
            statement = statement.where(Structure.department_code == department)
        if not include_inactive:
            statement = statement.where(col(Structure.is_active))
        order: list[Any] = []
        if words:
            starts = col(Structure.search_name).startswith(words[0], autoescape=True)
            order.append(case((starts, 0), else_=1))
        order += [col(Structure.name), col(Structure.id)]
        return list(self.session.exec(statement.order_by(*order).limit(limit)))

    def active_count(self) -> int:
        return self.session.exec(
            select(func.count()).select_from(Structure).where(col(Structure.is_active))
        ).one()

    def page(self, kind: Kind | None, offset: int, limit: int) -> tuple[int, list[Structure]]:
        statement = select(Structure).where(col(Structure.is_active))
        if kind is not None:
            statement = statement.where(Structure.kind == kind)
        total = self.session.exec(select(func.count()).select_from(statement.subquery())).one()
        rows = self.session.exec(
            statement.order_by(col(Structure.id)).offset(offset).limit(limit)
        ).all()
        return total, list(rows)
