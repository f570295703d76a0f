"""Each buyer's figures per year, computed in SQL from every contract held, then ranked.

Run after each import (and whenever the catalog's structures should be matched again): the
tables of figures are rewritten whole, so that they never drift from the contracts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select
from sqlmodel import Session

from services.catalog.decp import method
from services.catalog.decp.models import DecpBuyer, DecpBuyerYear, DecpContract, DecpPartner
from services.catalog.structures.models import Structure
from services.common.text import fold

_c = DecpContract.__table__  # type: ignore[attr-defined]
_p = DecpPartner.__table__  # type: ignore[attr-defined]
_s = Structure.__table__  # type: ignore[attr-defined]
INSERT_BATCH = 5000


@dataclass
class _Inclusive:
    contracts: set[str] = field(default_factory=set)
    amount: float = 0.0
    awarded: set[str] = field(default_factory=set)
    subcontracted: set[str] = field(default_factory=set)
    by_family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_kind: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _structures(
    session: Session,
) -> tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]]:
    """(kind, family) of the active catalog structures, by SIRET and by SIREN."""
    by_siret: dict[str, set[tuple[str, str]]] = defaultdict(set)
    by_siren: dict[str, set[tuple[str, str]]] = defaultdict(set)
    query = select(_s.c.siret, _s.c.siren, _s.c.kind, _s.c.family).where(_s.c.is_active)
    for siret, siren, kind, family in session.connection().execute(query):
        value = (str(getattr(kind, "value", kind)), str(getattr(family, "value", family)))
        if siret:
            by_siret[siret].add(value)
        if siren:
            by_siren[siren].add(value)
    return by_siret, by_siren


def _inclusive(session: Session) -> dict[tuple[str, int], _Inclusive]:
    """Contracts with a partner that is a catalog structure: by SIRET, else by SIREN (another
    establishment of the same company). The database picks the candidates by index; the kinds
    are then read from the structures held in memory (a few tens of thousands)."""
    by_siret, by_siren = _structures(session)
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
    found: dict[tuple[str, int], _Inclusive] = defaultdict(_Inclusive)
    for siret, year, uid, amount, role, ident, siren in session.connection().execute(query):
        matched = by_siret.get(ident) or by_siren.get(siren or "")
        if not matched:
            continue
        figures = found[(siret, year)]
        if uid not in figures.contracts:
            figures.contracts.add(uid)
            figures.amount += amount
        (figures.awarded if role == "titulaire" else figures.subcontracted).add(uid)
        for kind, family in matched:
            figures.by_family[family].add(uid)
            figures.by_kind[kind].add(uid)
    return found


def _regions(session: Session) -> dict[tuple[str, int], str]:
    """Where most of a buyer's contracts of the year are executed; ties to the smaller code."""
    query = (
        select(_c.c.buyer_siret, _c.c.year, _c.c.region_code, func.count())
        .where(_c.c.region_code.is_not(None))
        .group_by(_c.c.buyer_siret, _c.c.year, _c.c.region_code)
    )
    best: dict[tuple[str, int], tuple[int, str]] = {}
    for siret, year, region, count in session.connection().execute(query):
        current = best.get((siret, year))
        if current is None or (-count, region) < (-current[0], current[1]):
            best[(siret, year)] = (count, region)
    return {key: region for key, (_, region) in best.items()}


def _names(session: Session) -> dict[str, str]:
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
    return {siret: name for siret, name in session.connection().execute(query)}


def _totals(session: Session) -> Iterable[Any]:
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
    ).group_by(_c.c.buyer_siret, _c.c.year)
    return session.connection().execute(query).all()


@dataclass
class _Row:
    """What the order of the ranking reads (see `method.order_key`)."""

    siret: str
    contracts: int
    with_social: int
    amount_eur: float
    social_amount_eur: float
    values: dict[str, Any]


def assign_ranks(rows: list[_Row]) -> None:
    """Ranks of one year: within the size band nationally, in the région, in the category."""
    groups: dict[tuple[str, ...], list[_Row]] = defaultdict(list)
    for row in rows:
        if row.contracts < method.MIN_CONTRACTS_TO_RANK:
            continue
        values = row.values
        groups[("rank_national", values["band"])].append(row)
        if values["region_code"]:
            groups[("rank_region", values["band"], values["region_code"])].append(row)
        groups[("rank_category", values["band"], values["category"])].append(row)
    for key, members in groups.items():
        for rank, row in enumerate(sorted(members, key=method.order_key), start=1):
            row.values[key[0]] = rank


def refresh(session: Session) -> tuple[int, int]:
    """Rewrites the buyers and their yearly figures; returns (buyers, buyer-years)."""
    names = _names(session)
    regions = _regions(session)
    inclusive = _inclusive(session)
    by_year: dict[int, list[_Row]] = defaultdict(list)
    buyers: dict[str, dict[str, Any]] = {}
    for total in _totals(session):
        siret, year = total.buyer_siret, total.year
        siren = siret[:9]
        category = method.category_of(siren)
        if siret not in buyers:
            name = names.get(siret) or f"Acheteur {siret}"
            buyers[siret] = {
                "siret": siret,
                "siren": siren,
                "name": name,
                "search_name": fold(name)[:255],
                "category": category,
            }
        found = inclusive.get((siret, year)) or _Inclusive()
        values = {
            "siret": siret,
            "year": year,
            "category": category,
            "band": method.band_of(total.contracts),
            "region_code": regions.get((siret, year)),
            "contracts": total.contracts,
            "amount_eur": round(float(total.amount), 2),
            "with_social": int(total.with_social),
            "social_amount_eur": round(float(total.social_amount), 2),
            "clause_sociale": int(total.clause_sociale),
            "critere_social": int(total.critere_social),
            "marche_reserve": int(total.marche_reserve),
            "inclusive_contracts": len(found.contracts),
            "inclusive_amount_eur": round(found.amount, 2),
            "inclusive_awarded": len(found.awarded),
            "inclusive_subcontracted": len(found.subcontracted),
            "by_family": {k: len(v) for k, v in sorted(found.by_family.items())},
            "by_kind": {k: len(v) for k, v in sorted(found.by_kind.items())},
            "rank_national": None,
            "rank_region": None,
            "rank_category": None,
        }
        by_year[year].append(
            _Row(
                siret,
                values["contracts"],
                values["with_social"],
                values["amount_eur"],
                values["social_amount_eur"],
                values,
            )
        )
    connection = session.connection()
    connection.execute(delete(DecpBuyerYear.__table__))  # type: ignore[attr-defined]
    connection.execute(delete(DecpBuyer.__table__))  # type: ignore[attr-defined]
    _insert(session, DecpBuyer.__table__, list(buyers.values()))  # type: ignore[attr-defined]
    count = 0
    for rows in by_year.values():
        assign_ranks(rows)
        _insert(session, DecpBuyerYear.__table__, [r.values for r in rows])  # type: ignore[attr-defined]
        count += len(rows)
    session.commit()
    return len(buyers), count


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        session.connection().execute(insert(table), rows[start : start + INSERT_BATCH])
