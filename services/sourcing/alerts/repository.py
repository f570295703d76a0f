"""Every query on saved searches and the structures they have accounted for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import col, func, select

from services.common.db import SessionRepository, utcnow
from services.sourcing.alerts.models import Frequency, SavedSearch, SavedSearchStructure


class SavedSearchRepository(SessionRepository):
    def get(self, saved_search_id: int) -> SavedSearch | None:
        return self.session.get(SavedSearch, saved_search_id)

    def of_owner(self, owner: str) -> Sequence[SavedSearch]:
        return self.session.exec(
            select(SavedSearch)
            .where(SavedSearch.owner_account_id == owner)
            .order_by(col(SavedSearch.name_key), col(SavedSearch.id))
        ).all()

    def count(self, owner: str) -> int:
        return self.session.exec(
            select(func.count())
            .select_from(SavedSearch)
            .where(SavedSearch.owner_account_id == owner)
        ).one()

    def by_name(self, owner: str, name_key: str) -> SavedSearch | None:
        return self.session.exec(
            select(SavedSearch).where(
                SavedSearch.owner_account_id == owner, SavedSearch.name_key == name_key
            )
        ).first()

    def subscribed(self) -> Sequence[SavedSearch]:
        """Saved searches whose owner wants digests and has an address to get them at."""
        return self.session.exec(
            select(SavedSearch)
            .where(
                col(SavedSearch.frequency) != Frequency.NONE,
                col(SavedSearch.owner_email).is_not(None),
            )
            .order_by(col(SavedSearch.last_digest_at), col(SavedSearch.id))
        ).all()

    def known_structures(self, saved_search_id: int) -> set[int]:
        return set(
            self.session.exec(
                select(SavedSearchStructure.structure_id).where(
                    SavedSearchStructure.saved_search_id == saved_search_id
                )
            )
        )

    def account_for(
        self, saved_search_id: int, structure_ids: Iterable[int], reported_at: datetime | None
    ) -> None:
        """One row per structure: in the baseline (`reported_at` None) or reported then."""
        seen_at = reported_at or utcnow()
        rows = [
            {
                "saved_search_id": saved_search_id,
                "structure_id": sid,
                "seen_at": seen_at,
                "reported_at": reported_at,
            }
            for sid in structure_ids
        ]
        if rows:
            self.session.execute(insert(SavedSearchStructure), rows)

    def take_for_digest(self, saved_search: SavedSearch, now: datetime) -> bool:
        """Moves the digest time on unless another process, or an unsubscription, did first:
        the conditional update that makes a digest go once."""
        statement = (
            update(SavedSearch)
            .where(
                col(SavedSearch.id) == saved_search.id,
                col(SavedSearch.version) == saved_search.version,
                col(SavedSearch.frequency) != Frequency.NONE,
            )
            .values(last_digest_at=now, version=saved_search.version + 1)
        )
        return bool(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]
