"""The historical API's listing: dated as the sources date structures, a manager's change moving
the date forward (so that `updated_at_after` serves incremental synchronisation), and pages read
from the database that cover the list exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.catalog.legacy.repository import LegacyFilters
from services.catalog.legacy.service import LegacyQuery, list_siae
from services.catalog.structures.models import Offer, Structure
from services.catalog.structures.service import stamp_sources
from services.common.db import make_engine
from services.domain.kinds import PrestaType
from tests.support import copy_sqlite


def _since(session: Session, after: datetime, **filters: object) -> list[dict[str, object]]:
    query = LegacyQuery(
        filters=LegacyFilters(**filters),  # type: ignore[arg-type]
        slug=None,
        presta_types=frozenset(),
        networks=frozenset(),
        offset=0,
        limit=1000,
        updated_after=after,
    )
    results: list[dict[str, object]] = list_siae(session, query)["results"]
    return results


def test_changes_by_managers_move_updated_at(loaded_sqlite_catalog: Engine, tmp_path: Path) -> None:
    engine = make_engine(copy_sqlite(loaded_sqlite_catalog, tmp_path / "catalog.db"))
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with Session(engine) as session:
        esat, ei = (
            session.exec(
                select(Structure).where(Structure.kind == kind, Structure.department_code == "13")
            ).first()
            for kind in ("ESAT", "EI")
        )
        assert esat is not None and ei is not None
        # Freshly imported: nothing is newer than the sources' own dates.
        assert _since(session, yesterday, department="13") == []
        stamp_sources(esat, ["website"], "manager")
        session.add(esat)
        session.add(
            Offer(
                structure_id=ei.id,
                title="Nettoyage de bureaux",
                sector_slug="nettoyage-de-locaux-16",
                presta_type=PrestaType.PREST,
            )
        )
        session.commit()
        changed = _since(session, yesterday, department="13")
        assert {r["id"] for r in changed} == {esat.id, ei.id}
        assert all(str(r["updated_at"]) >= yesterday.isoformat() for r in changed)
        assert all(str(r["created_at"]) < "2026-07-01" for r in changed)  # still the source's
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def loaded_catalog(request: pytest.FixtureRequest) -> Engine:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        return request.getfixturevalue("loaded_postgres_catalog")  # type: ignore[no-any-return]
    return request.getfixturevalue("loaded_sqlite_catalog")  # type: ignore[no-any-return]


def _page(session: Session, offset: int, limit: int, **filters: object) -> dict[str, object]:
    query = LegacyQuery(
        filters=LegacyFilters(**filters),  # type: ignore[arg-type]
        slug=None,
        presta_types=frozenset(),
        networks=frozenset(),
        offset=offset,
        limit=limit,
    )
    return list_siae(session, query)


def test_pages_read_from_the_database_cover_the_list_once(loaded_catalog: Engine) -> None:
    with Session(loaded_catalog) as session:
        every = session.exec(select(Structure).where(Structure.is_active)).all()
        expected = sorted(s.id for s in every if s.id is not None)
        seen: list[int] = []
        for offset in range(0, len(expected) + 1000, 1000):
            page = _page(session, offset, 1000, is_active=True)
            assert page["count"] == len(expected)
            seen += [int(r["id"]) for r in page["results"]]  # type: ignore[attr-defined]
        assert seen == expected
        in_93 = _page(
            session, 0, 1000, is_active=True, kinds=frozenset({"EI", "ACI"}), department="93"
        )
        brute = [s for s in every if s.kind in ("EI", "ACI") and s.department_code == "93"]
        assert in_93["count"] == len(brute) > 0
