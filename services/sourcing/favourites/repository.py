"""Every query on favourite lists and the structures in them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, func, select

from services.common.db import SessionRepository
from services.sourcing.favourites.models import FavouriteList, FavouriteStructure


class FavouriteRepository(SessionRepository):
    def get(self, list_id: int) -> FavouriteList | None:
        return self.session.get(FavouriteList, list_id)

    def by_name(self, owner: str, name_key: str) -> FavouriteList | None:
        return self.session.exec(
            select(FavouriteList).where(
                FavouriteList.owner_account_id == owner, FavouriteList.name_key == name_key
            )
        ).first()

    def lists_of(self, owner: str) -> list[tuple[FavouriteList, int]]:
        """The owner's lists, by name, each with how many structures it holds."""
        count = (
            select(FavouriteStructure.list_id, func.count().label("n"))
            .group_by(col(FavouriteStructure.list_id))
            .subquery()
        )
        rows = self.session.exec(
            select(FavouriteList, func.coalesce(count.c.n, 0))
            .outerjoin(count, count.c.list_id == FavouriteList.id)
            .where(FavouriteList.owner_account_id == owner)
            .order_by(col(FavouriteList.name_key), col(FavouriteList.id))
        ).all()
        return [(row, int(n)) for row, n in rows]

    def count_lists(self, owner: str) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(FavouriteList)
            .where(FavouriteList.owner_account_id == owner)
        ).one()

    def structures(self, list_id: int) -> Sequence[FavouriteStructure]:
        return self.session.exec(
            select(FavouriteStructure)
            .where(FavouriteStructure.list_id == list_id)
            .order_by(col(FavouriteStructure.added_at).desc(), col(FavouriteStructure.id).desc())
        ).all()

    def count_structures(self, list_id: int) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(FavouriteStructure)
            .where(FavouriteStructure.list_id == list_id)
        ).one()

    def structure(self, list_id: int, structure_id: int) -> FavouriteStructure | None:
        return self.session.exec(
            select(FavouriteStructure).where(
                FavouriteStructure.list_id == list_id,
                FavouriteStructure.structure_id == structure_id,
            )
        ).first()
