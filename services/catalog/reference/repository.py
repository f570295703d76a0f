"""Every query the catalog runs on the reference data: geography, sectors, NAF codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, SQLModel, col, select

from services.catalog.reference.models import Commune, Department, NafCode, Region, Sector


class ReferenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def commune(self, code: str) -> Commune | None:
        return self.session.get(Commune, code)

    def department(self, code: str) -> Department | None:
        return self.session.get(Department, code)

    def region(self, code: str) -> Region | None:
        return self.session.get(Region, code)

    def known_sectors(self, slugs: Sequence[str]) -> set[str]:
        return set(self.session.exec(select(Sector.slug).where(col(Sector.slug).in_(list(slugs)))))

    def sector_names(self) -> dict[str, str]:
        return {s.slug: s.name for s in self.session.exec(select(Sector))}

    def department_names(self) -> dict[str, str]:
        return {d.code: d.name for d in self.session.exec(select(Department))}

    def region_names(self) -> dict[str, str]:
        return {r.code: r.name for r in self.session.exec(select(Region))}

    def department_regions(self) -> dict[str, str]:
        return {d.code: d.region_code for d in self.session.exec(select(Department))}

    def communes(self) -> list[Commune]:
        return list(self.session.exec(select(Commune)))

    def naf_codes(self) -> frozenset[str]:
        return frozenset(self.session.exec(select(NafCode.ape)))

    def count(self, table: type[SQLModel]) -> int:
        return self.session.exec(select(func.count()).select_from(table)).one()

    def clear(self, table: type[SQLModel]) -> None:
        self.session.execute(delete(table))

    def insert_rows(self, table: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        # Bulk insert: tens of thousands of rows, no ORM bookkeeping needed.
        self.session.execute(insert(table), rows)
