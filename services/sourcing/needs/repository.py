"""Every query the sourcing service runs on needs, their matches and their answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, update
from sqlmodel import col, func, select
from sqlmodel.sql.expression import Select

from services.common.db import SessionRepository
from services.sourcing.needs.models import AnswerStatus, Need, NeedAnswer, NeedMatch, NeedStatus

# A buyer's list shows the most recent needs only.
LIST_LIMIT = 200
# Open needs read to find those a structure missed: the newest, far more than it is shown.
OPEN_SCAN_LIMIT = 2000


def _with_need() -> Select[NeedMatch, Need]:
    return select(NeedMatch, Need).join(Need, col(Need.id) == NeedMatch.need_id)


class NeedRepository(SessionRepository):
    def _pairs(self, statement: Select[NeedMatch, Need]) -> list[tuple[NeedMatch, Need]]:
        return [(m, n) for m, n in self.session.exec(statement).all()]

    def take_version(self, need_id: int, expected: int) -> bool:
        """Moves the need from `expected` to the next version, unless another writer did first."""
        statement = (
            update(Need)
            .where(col(Need.id) == need_id, col(Need.version) == expected)
            .values(version=expected + 1)
        )
        return bool(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def get(self, need_id: int) -> Need | None:
        return self.session.get(Need, need_id)

    def by_external_ref(self, buyer_account_id: str, external_ref: str) -> Need | None:
        return self.session.exec(
            select(Need).where(
                Need.buyer_account_id == buyer_account_id, Need.external_ref == external_ref
            )
        ).first()

    def latest(self, buyer_account_id: str | None) -> Sequence[Need]:
        """The latest needs of a buyer, or of every buyer when `buyer_account_id` is None."""
        statement = select(Need).order_by(col(Need.id).desc()).limit(LIST_LIMIT)
        if buyer_account_id is not None:
            statement = statement.where(Need.buyer_account_id == buyer_account_id)
        return self.session.exec(statement).all()

    def published_ids(self) -> list[int]:
        return [
            n
            for n in self.session.exec(select(Need.id).where(Need.status == NeedStatus.PUBLISHED))
            if n is not None
        ]

    def match_count(self, need_id: int | None) -> int:
        return self.session.exec(
            select(func.count()).select_from(NeedMatch).where(NeedMatch.need_id == need_id)
        ).one()

    def matches_of(self, need_id: int) -> Sequence[NeedMatch]:
        """Best first."""
        return self.session.exec(
            select(NeedMatch)
            .where(NeedMatch.need_id == need_id)
            .order_by(col(NeedMatch.score).desc(), col(NeedMatch.id))
        ).all()

    def structure_names(self, need_id: int) -> dict[int, str]:
        return {
            m.structure_id: m.structure_name
            for m in self.session.exec(select(NeedMatch).where(NeedMatch.need_id == need_id))
        }

    def match(self, match_id: int) -> NeedMatch | None:
        return self.session.get(NeedMatch, match_id)

    def match_of(self, need_id: int, structure_id: int) -> tuple[NeedMatch, Need] | None:
        row = self.session.exec(
            _with_need().where(NeedMatch.need_id == need_id, NeedMatch.structure_id == structure_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def published_matches_of_structure(self, structure_id: int) -> list[tuple[NeedMatch, Need]]:
        """Best first."""
        return self._pairs(
            _with_need()
            .where(NeedMatch.structure_id == structure_id, Need.status == NeedStatus.PUBLISHED)
            .order_by(col(NeedMatch.score).desc())
        )

    def untold(
        self, after_id: int, limit: int, need_id: int | None = None
    ) -> list[tuple[NeedMatch, Need]]:
        """Matches of published needs (or of one) not told yet, in the order they were made,
        from after `after_id`: a page that only holds structures without managers does not stop
        the next. Best first within one need."""
        statement = _with_need().where(
            col(NeedMatch.notified_at).is_(None),
            Need.status == NeedStatus.PUBLISHED,
            col(NeedMatch.id) > after_id,
        )
        if need_id is not None:
            statement = statement.where(NeedMatch.need_id == need_id).order_by(
                col(NeedMatch.score).desc()
            )
        return self._pairs(statement.order_by(col(NeedMatch.id)).limit(limit))

    def oldest_untold(self, limit: int) -> list[tuple[NeedMatch, Need]]:
        """Matches of published needs nobody could be told of yet, oldest first."""
        return self._pairs(
            _with_need()
            .where(col(NeedMatch.notified_at).is_(None), Need.status == NeedStatus.PUBLISHED)
            .order_by(col(NeedMatch.matched_at), col(NeedMatch.id))
            .limit(limit)
        )

    def unopened(self, reminder_cap: int) -> list[tuple[NeedMatch, Need]]:
        """Matches of published needs told but not opened, reminded fewer times than the cap."""
        return self._pairs(
            _with_need().where(
                Need.status == NeedStatus.PUBLISHED,
                col(NeedMatch.notified_at).is_not(None),
                col(NeedMatch.opened_at).is_(None),
                NeedMatch.reminders < reminder_cap,
            )
        )

    def take_for_telling(self, match: NeedMatch, reminder: bool, now: datetime) -> bool:
        """Marks the match told (or reminded once more) unless another process did first."""
        statement = update(NeedMatch).where(col(NeedMatch.id) == match.id)
        if reminder:
            statement = statement.where(col(NeedMatch.reminders) == match.reminders).values(
                reminders=match.reminders + 1, last_reminder_at=now
            )
        else:
            statement = statement.where(col(NeedMatch.notified_at).is_(None)).values(
                notified_at=now
            )
        return bool(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def notified_structure_ids(self) -> list[int]:
        """One entry per match told, so a structure appears once per need."""
        return list(
            self.session.exec(
                select(NeedMatch.structure_id).where(col(NeedMatch.notified_at).is_not(None))
            )
        )

    def answer_of(self, need_id: int | None, structure_id: int) -> NeedAnswer | None:
        return self.session.exec(
            select(NeedAnswer).where(
                NeedAnswer.need_id == need_id, NeedAnswer.structure_id == structure_id
            )
        ).first()

    def answers_of(self, need_id: int | None) -> Sequence[NeedAnswer]:
        """In the order they came."""
        return self.session.exec(
            select(NeedAnswer)
            .where(NeedAnswer.need_id == need_id)
            .order_by(col(NeedAnswer.answered_at))
        ).all()

    def answers_by_structure(self, need_id: int | None) -> dict[int, AnswerStatus]:
        return {
            a.structure_id: a.status
            for a in self.session.exec(select(NeedAnswer).where(NeedAnswer.need_id == need_id))
        }

    def answers_by_need(self, structure_id: int) -> dict[int, AnswerStatus]:
        return {
            a.need_id: a.status
            for a in self.session.exec(
                select(NeedAnswer).where(NeedAnswer.structure_id == structure_id)
            )
        }

    def answering_structure_ids(self) -> list[int]:
        """One entry per answer."""
        return list(self.session.exec(select(NeedAnswer.structure_id)))

    def open_not_matching(self, structure_id: int, today: date) -> Sequence[Need]:
        """Published needs whose deadline has not passed, that did not match the structure,
        newest first."""
        matched = select(NeedMatch.need_id).where(NeedMatch.structure_id == structure_id)
        return self.session.exec(
            select(Need)
            .where(
                Need.status == NeedStatus.PUBLISHED,
                or_(col(Need.deadline).is_(None), col(Need.deadline) >= today),
                col(Need.id).not_in(matched),
            )
            .order_by(col(Need.published_at).desc(), col(Need.id).desc())
            .limit(OPEN_SCAN_LIMIT)
        ).all()

    def in_moderation(self) -> Sequence[Need]:
        """Oldest first."""
        return self.session.exec(
            select(Need)
            .where(Need.status == NeedStatus.MODERATION)
            .order_by(col(Need.updated_at), col(Need.id))
        ).all()
