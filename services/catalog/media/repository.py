"""Every query on the images."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from services.catalog.media.models import Media, MediaRole
from services.catalog.structures.models import Offer, Structure


class MediaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, media_id: str) -> Media | None:
        return self.session.get(Media, media_id)

    def offer(self, offer_id: int) -> Offer | None:
        return self.session.get(Offer, offer_id)

    def structure(self, structure_id: int) -> Structure | None:
        return self.session.get(Structure, structure_id)

    def logo(self, structure_id: int) -> Media | None:
        return self.session.exec(
            select(Media).where(Media.structure_id == structure_id, Media.role == MediaRole.LOGO)
        ).first()

    def of_structures(self, structure_ids: Iterable[int]) -> dict[int, list[Media]]:
        """Logos and the structures' own photos (not their offers'), oldest first."""
        found: dict[int, list[Media]] = defaultdict(list)
        ids = list(structure_ids)
        if ids:
            rows = self.session.exec(
                select(Media)
                .where(col(Media.structure_id).in_(ids), col(Media.offer_id).is_(None))
                .order_by(col(Media.created_at), col(Media.id))
            )
            for row in rows:
                found[row.structure_id].append(row)
        return found

    def of_offers(self, offer_ids: Iterable[int]) -> dict[int, list[Media]]:
        found: dict[int, list[Media]] = defaultdict(list)
        ids = list(offer_ids)
        if ids:
            rows = self.session.exec(
                select(Media)
                .where(col(Media.offer_id).in_(ids))
                .order_by(col(Media.created_at), col(Media.id))
            )
            for row in rows:
                if row.offer_id is not None:
                    found[row.offer_id].append(row)
        return found

    def count_photos(self, structure_id: int, offer_id: int | None) -> int:
        query = select(func.count()).where(
            Media.structure_id == structure_id, Media.role == MediaRole.PHOTO
        )
        query = query.where(
            col(Media.offer_id).is_(None) if offer_id is None else Media.offer_id == offer_id
        )
        return self.session.exec(query).one()
