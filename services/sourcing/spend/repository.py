"""Every query the spend import and matching run: files, uploads, rejections, suppliers, choices."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import func, or_
from sqlmodel import col, select

from services.common.db import SessionRepository
from services.sourcing.spend.models import (
    MatchKind,
    SpendChoice,
    SpendFile,
    SpendRejection,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)

SHOWN_REJECTIONS = 20


class SpendRepository(SessionRepository):
    def file(self, organisation_id: int, file_id: int) -> SpendFile | None:
        found = self.session.get(SpendFile, file_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    def files(self, ids: Sequence[int]) -> dict[int, SpendFile]:
        if not ids:
            return {}
        rows = self.session.exec(select(SpendFile).where(col(SpendFile.id).in_(ids)))
        return {f.id or 0: f for f in rows}

    def upload(self, organisation_id: int, upload_id: int) -> SpendUpload | None:
        found = self.session.get(SpendUpload, upload_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    def uploads(self, organisation_id: int, year: int | None) -> Sequence[SpendUpload]:
        query = select(SpendUpload).where(col(SpendUpload.organisation_id) == organisation_id)
        if year is not None:
            query = query.where(col(SpendUpload.year) == year)
        return self.session.exec(
            query.order_by(col(SpendUpload.started_at).desc(), col(SpendUpload.id).desc())
        ).all()

    def active(self, organisation_id: int, year: int) -> SpendUpload | None:
        return self.session.exec(
            select(SpendUpload)
            .where(
                col(SpendUpload.organisation_id) == organisation_id,
                col(SpendUpload.year) == year,
                col(SpendUpload.status) == UploadStatus.ACTIVE,
            )
            .order_by(col(SpendUpload.id).desc())
        ).first()

    def first_rejections(self, upload_id: int) -> Sequence[SpendRejection]:
        return self.session.exec(
            select(SpendRejection)
            .where(col(SpendRejection.upload_id) == upload_id)
            .order_by(col(SpendRejection.line), col(SpendRejection.id))
            .limit(SHOWN_REJECTIONS)
        ).all()

    def rejections(self, upload_id: int, batch: int = 5000) -> Iterator[SpendRejection]:
        """Every rejection in line order, read by batches (keyset on the id)."""
        last = 0
        while True:
            found = self.session.exec(
                select(SpendRejection)
                .where(col(SpendRejection.upload_id) == upload_id, col(SpendRejection.id) > last)
                .order_by(col(SpendRejection.id))
                .limit(batch)
            ).all()
            if not found:
                return
            yield from found
            last = found[-1].id or 0

    def match_counts(self, upload_id: int) -> dict[str, int]:
        counts = {kind.value: 0 for kind in MatchKind}
        rows = self.session.exec(
            select(SpendSupplier.match, func.count())
            .where(col(SpendSupplier.upload_id) == upload_id)
            .group_by(col(SpendSupplier.match))
        ).all()
        for kind, count in rows:
            counts[MatchKind(kind).value] = int(count)
        return counts

    def suppliers(
        self,
        upload_id: int,
        match: MatchKind | None,
        q: str | None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> tuple[Sequence[SpendSupplier], int]:
        query = select(SpendSupplier).where(col(SpendSupplier.upload_id) == upload_id)
        if match is not None:
            query = query.where(col(SpendSupplier.match) == match)
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    func.lower(col(SpendSupplier.name)).like(pattern.lower(), escape="\\"),
                    col(SpendSupplier.supplier_key).like(pattern, escape="\\"),
                    func.lower(col(SpendSupplier.structure_name)).like(
                        pattern.lower(), escape="\\"
                    ),
                )
            )
        total = self.session.exec(select(func.count()).select_from(query.subquery())).one()
        ordered = query.order_by(
            col(SpendSupplier.amount_cents).desc(), col(SpendSupplier.supplier_key)
        )
        if offset is not None:
            ordered = ordered.offset(offset)
        if limit is not None:
            ordered = ordered.limit(limit)
        return self.session.exec(ordered).all(), int(total)

    def supplier(self, upload_id: int, key: str) -> SpendSupplier | None:
        return self.session.exec(
            select(SpendSupplier).where(
                col(SpendSupplier.upload_id) == upload_id, col(SpendSupplier.supplier_key) == key
            )
        ).first()

    def choice(self, organisation_id: int, key: str) -> SpendChoice | None:
        return self.session.exec(
            select(SpendChoice).where(
                col(SpendChoice.organisation_id) == organisation_id,
                col(SpendChoice.supplier_key) == key,
            )
        ).first()
