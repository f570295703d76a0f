"""Every query of the DECP tables: contracts and partners written in batches, the aggregates the
figures are computed from, the figures rewritten, and the reads of the public API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select
from sqlalchemy.engine import Connection, Row
from sqlmodel import Session

from services.catalog.decp.method import BANDS, MIN_CONTRACTS_TO_RANK
from services.catalog.decp.models import (
    DecpBuyer,
    DecpBuyerYear,
    DecpContract,
    DecpImport,
    DecpPartner,
)
from services.catalog.reference.models import Region
from services.catalog.structures.models import Structure

_c = DecpContract.__table__  # type: ignore[attr-defined]
_p = DecpPartner.__table__  # type: ignore[attr-defined]
_b = DecpBuyer.__table__  # type: ignore[attr-defined]
_y = DecpBuyerYear.__table__  # type: ignore[attr-defined]
_i = DecpImport.__table__  # type: ignore[attr-defined]
_r = Region.__table__  # type: ignore[attr-defined]
_s = Structure.__table__  # type: ignore[attr-defined]
INSERT_BATCH = 5000


class DecpRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> Connection:
        return self.session.connection()

    # --- import runs ---------------------------------------------------------------------

    def finished_import(self, fingerprint: str) -> bool:
        query = select(_i.c.id).where(
            _i.c.fingerprint == fingerprint, _i.c.finished_at.is_not(None)
        )
        return self._db.execute(query.limit(1)).first() is not None

    def add_import(self, run: DecpImport) -> DecpImport:
        self.session.add(run)
        self.session.flush()
        return run

    def import_run(self, run_id: int) -> DecpImport | None:
        return self.session.get(DecpImport, run_id)

    def last_import(self) -> Row[Any] | None:
        query = (
            select(_i.c.finished_at, _i.c.file_name, _i.c.read)
            .where(_i.c.finished_at.is_not(None))
            .order_by(_i.c.finished_at.desc())
            .limit(1)
        )
        return self._db.execute(query).first()

    # --- contracts -----------------------------------------------------------------------

    def region_codes(self) -> frozenset[str]:
        return frozenset(self._db.execute(select(_r.c.code)).scalars())

    def region_names(self) -> dict[str, str]:
        return {code: name for code, name in self._db.execute(select(_r.c.code, _r.c.name))}

    def fingerprints(self, uids: list[str]) -> dict[str, str]:
        query = select(_c.c.uid, _c.c.fingerprint).where(_c.c.uid.in_(uids))
        return {uid: fingerprint for uid, fingerprint in self._db.execute(query)}

    def write_contracts(
        self, replaced: list[str], rows: list[dict[str, Any]], partners: list[dict[str, Any]]
    ) -> None:
        """Contracts `replaced` go with their partners; `rows` and `partners` are inserted."""
        if replaced:
            self._db.execute(delete(_p).where(_p.c.contract_uid.in_(replaced)))
            self._db.execute(delete(_c).where(_c.c.uid.in_(replaced)))
        if rows:
            self._db.execute(insert(_c), rows)
        if partners:
            self._db.execute(insert(_p), partners)

    def counts(self) -> tuple[int, int, int, int]:
        """Contracts, partners, buyers, buyer-years."""
        return tuple(  # type: ignore[return-value]
            self._db.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (_c, _p, _b, _y)
        )

    # --- what the figures are computed from ------------------------------------------------

    def active_structures(self) -> Iterator[tuple[str | None, str | None, Any, Any]]:
        """(siret, siren, kind, family) of every active catalog structure."""
        query = select(_s.c.siret, _s.c.siren, _s.c.kind, _s.c.family).where(_s.c.is_active)
        for row in self._db.execute(query):
            yield row[0], row[1], row[2], row[3]

    def partner_candidates(self) -> Iterator[Any]:
        """(buyer_siret, year, uid, amount_eur, role, ident, siren) of partners whose SIRET or
        SIREN is an active catalog structure's: picked by index, matched exactly by the caller."""
        active = _s.c.is_active
        query = (
            select(
                _c.c.buyer_siret,
                _c.c.year,
                _c.c.uid,
                _c.c.amount_eur,
                _p.c.role,
                _p.c.ident,
                _p.c.siren,
            )
            .join(_c, _c.c.uid == _p.c.contract_uid)
            .where(
                _p.c.id_type == "SIRET",
                or_(
                    _p.c.ident.in_(select(_s.c.siret).where(active, _s.c.siret.is_not(None))),
                    _p.c.siren.in_(select(_s.c.siren).where(active, _s.c.siren.is_not(None))),
                ),
            )
        )
        yield from self._db.execute(query)

    def region_counts(self) -> Iterator[Any]:
        """(buyer_siret, year, region_code, contracts) for contracts with a known région."""
        query = (
            select(_c.c.buyer_siret, _c.c.year, _c.c.region_code, func.count())
            .where(_c.c.region_code.is_not(None))
            .group_by(_c.c.buyer_siret, _c.c.year, _c.c.region_code)
        )
        yield from self._db.execute(query)

    def latest_names(self) -> dict[str, str]:
        """The most recent name each buyer published (latest notification, then largest id)."""
        numbered = (
            select(
                _c.c.buyer_siret,
                _c.c.buyer_name,
                func.row_number()
                .over(
                    partition_by=_c.c.buyer_siret,
                    order_by=(_c.c.notified_on.desc(), _c.c.uid.desc()),
                )
                .label("n"),
            )
            .where(_c.c.buyer_name.is_not(None))
            .subquery()
        )
        query = select(numbered.c.buyer_siret, numbered.c.buyer_name).where(numbered.c.n == 1)
        return {siret: name for siret, name in self._db.execute(query)}

    def totals(self, year: int) -> list[Row[Any]]:
        """Per buyer, for one year: contracts, amounts, those with a social consideration."""
        social = or_(_c.c.clause_sociale, _c.c.critere_social, _c.c.marche_reserve)
        query = select(
            _c.c.buyer_siret,
            _c.c.year,
            func.count().label("contracts"),
            func.sum(_c.c.amount_eur).label("amount"),
            func.sum(case((social, 1), else_=0)).label("with_social"),
            func.sum(case((social, _c.c.amount_eur), else_=0.0)).label("social_amount"),
            func.sum(case((_c.c.clause_sociale, 1), else_=0)).label("clause_sociale"),
            func.sum(case((_c.c.critere_social, 1), else_=0)).label("critere_social"),
            func.sum(case((_c.c.marche_reserve, 1), else_=0)).label("marche_reserve"),
        ).where(_c.c.year == year)
        return list(self._db.execute(query.group_by(_c.c.buyer_siret, _c.c.year)))

    def contract_years(self) -> list[int]:
        return [int(y) for y in self._db.execute(select(_c.c.year).distinct()).scalars()]

    def clear_figures(self) -> None:
        self._db.execute(delete(_y))
        self._db.execute(delete(_b))

    def add_figures(self, buyers: list[dict[str, Any]], years: list[dict[str, Any]]) -> None:
        for table, rows in ((_b, buyers), (_y, years)):
            for start in range(0, len(rows), INSERT_BATCH):
                self._db.execute(insert(table), rows[start : start + INSERT_BATCH])

    # --- the public API ------------------------------------------------------------------

    def years(self) -> list[int]:
        query = select(_y.c.year).distinct().order_by(_y.c.year.desc())
        return [int(year) for year in self._db.execute(query).scalars()]

    def year_rows(
        self, year: int, region: str | None, category: str | None, band: str | None
    ) -> list[Row[Any]]:
        query = select(_y, _b.c.name).join(_b, _b.c.siret == _y.c.siret).where(_y.c.year == year)
        if region:
            query = query.where(_y.c.region_code == region)
        if category:
            query = query.where(_y.c.category == category)
        if band:
            query = query.where(_y.c.band == band)
        return list(self._db.execute(query))

    def _filtered(
        self, query: Any, region: str | None, category: str | None, band: str | None
    ) -> Any:
        if region:
            query = query.where(_y.c.region_code == region)
        if category:
            query = query.where(_y.c.category == category)
        if band:
            query = query.where(_y.c.band == band)
        return query

    def ranking_counts(
        self, year: int, region: str | None, category: str | None, band: str | None
    ) -> dict[str, tuple[int, int]]:
        """Per band: (buyers, buyers ranked) of the year within the filters."""
        ranked = case((_y.c.contracts >= MIN_CONTRACTS_TO_RANK, 1), else_=0)
        query = select(_y.c.band, func.count(), func.coalesce(func.sum(ranked), 0)).where(
            _y.c.year == year
        )
        rows = self._db.execute(self._filtered(query, region, category, band).group_by(_y.c.band))
        return {code: (int(total), int(ranked_count)) for code, total, ranked_count in rows}

    def ranking_rows(
        self,
        year: int,
        region: str | None,
        category: str | None,
        band: str | None,
        offset: int,
        limit: int | None,
    ) -> list[Row[Any]]:
        """Buyers of the year in the method's order, band by band (largest band first): in each
        band those with enough contracts first, then social share, social amount share,
        contracts (descending), SIRET. `position` is the row's place among the buyers of its
        band within the filters (ranked and unranked numbered apart), `unranked` 1 below the
        minimum: the rank within the band is `position` when `unranked` is 0."""
        unranked = case((_y.c.contracts >= MIN_CONTRACTS_TO_RANK, 0), else_=1)
        largest_first = {b.code: n for n, b in enumerate(reversed(BANDS))}
        band_order = case(largest_first, value=_y.c.band, else_=len(BANDS))
        position = func.row_number().over(
            partition_by=(_y.c.band, unranked),
            order_by=(
                _y.c.social_share.desc(),
                _y.c.social_amount_share.desc(),
                _y.c.contracts.desc(),
                _y.c.siret,
            ),
        )
        inner = self._filtered(
            select(
                _y,
                _b.c.name,
                band_order.label("band_order"),
                unranked.label("unranked"),
                position.label("position"),
            )
            .join(_b, _b.c.siret == _y.c.siret)
            .where(_y.c.year == year),
            region,
            category,
            band,
        ).subquery()
        query = (
            select(inner)
            .order_by(inner.c.band_order, inner.c.unranked, inner.c.position)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        return list(self._db.execute(query))

    def buyer(self, siret: str) -> Row[Any] | None:
        return self._db.execute(select(_b).where(_b.c.siret == siret)).first()

    def buyer_years(self, siret: str) -> list[Row[Any]]:
        query = select(_y).where(_y.c.siret == siret).order_by(_y.c.year.desc())
        return list(self._db.execute(query))

    def ranked_count(
        self, year: int, band: str, region: str | None = None, category: str | None = None
    ) -> int:
        query = (
            select(func.count())
            .select_from(_y)
            .where(_y.c.year == year, _y.c.band == band, _y.c.rank_national.is_not(None))
        )
        if region is not None:
            query = query.where(_y.c.region_code == region)
        if category is not None:
            query = query.where(_y.c.category == category)
        return int(self._db.execute(query).scalar_one())

    def find_buyers(self, digits: str | None, words: list[str], limit: int) -> list[Row[Any]]:
        query = select(_b.c.siret, _b.c.name, _b.c.category)
        if digits:
            query = query.where(_b.c.siret.startswith(digits))
        else:
            query = query.where(*(_b.c.search_name.contains(word) for word in words))
        return list(self._db.execute(query.order_by(_b.c.name, _b.c.siret).limit(limit)))

    def latest_regions(self, sirets: list[str]) -> dict[str, str | None]:
        if not sirets:
            return {}
        query = (
            select(_y.c.siret, _y.c.region_code).where(_y.c.siret.in_(sirets)).order_by(_y.c.year)
        )
        return {siret: region for siret, region in self._db.execute(query)}

    def region_exists(self, code: str) -> bool:
        return self._db.execute(select(_r.c.code).where(_r.c.code == code)).first() is not None
