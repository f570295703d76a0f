"""Optimistic concurrency: every editable row has a version; writes name the one they read
(`services.common.params.expected_version`) and take the next one here, atomically."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from services.common.errors import PreconditionFailed


def take_version(session: Session, table: type[SQLModel], row_id: int, expected: int) -> int:
    """Atomically moves the row from `expected` to the next version, or refuses the write.

    One conditional UPDATE: two writers holding the same version cannot both pass.
    """
    column = table.__table__.c  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(column.id == row_id, column.version == expected)
        .values(version=column.version + 1)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed(
            "Cette fiche a été modifiée depuis votre lecture : relisez-la puis réappliquez vos changements."
        )
    return expected + 1
