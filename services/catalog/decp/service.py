"""Reading the figures: the ranking of a year (filtered, ranked within the filters), a buyer's
years, the search of a buyer by name or SIRET, the method and its sources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from services.catalog.decp import method
from services.catalog.decp.models import DecpBuyer, DecpBuyerYear, DecpImport
from services.catalog.reference.models import Region
from services.common.text import fold
from services.domain.kinds import FAMILY_LABELS, KIND_LABELS

_y = DecpBuyerYear.__table__  # type: ignore[attr-defined]
_b = DecpBuyer.__table__  # type: ignore[attr-defined]
_r = Region.__table__  # type: ignore[attr-defined]
_i = DecpImport.__table__  # type: ignore[attr-defined]
_KIND_LABELS = {k.value: label for k, label in KIND_LABELS.items()}
_FAMILY_LABELS = {f.value: label for f, label in FAMILY_LABELS.items()}


def _region_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.connection().execute(select(_r.c.code, _r.c.name))}


def years_available(session: Session) -> list[int]:
    query = select(_y.c.year).distinct().order_by(_y.c.year.desc())
    return [int(year) for year in session.connection().execute(query).scalars()]


def last_import(session: Session) -> str | None:
    row = (
        session.connection()
        .execute(
            select(_i.c.finished_at, _i.c.file_name, _i.c.read)
            .where(_i.c.finished_at.is_not(None))
            .order_by(_i.c.finished_at.desc())
            .limit(1)
        )
        .first()
    )
    if row is None:
        return None
    return f"{row.finished_at:%d/%m/%Y}, fichier {row.file_name} ({row.read} marchés lus)"


def _social_kinds(row: Any) -> dict[str, int]:
    return {kind: int(getattr(row, kind)) for kind in method.SOCIAL_KINDS}


def _figures(row: Any) -> dict[str, Any]:
    return {
        "contracts": row.contracts,
        "amount_eur": row.amount_eur,
        "with_social": row.with_social,
        "social_share": method.share(row.with_social, row.contracts),
        "social_amount_share": method.share(row.social_amount_eur, row.amount_eur),
        "by_social_kind": _social_kinds(row),
    }


def ranking(
    session: Session,
    year: int | None,
    region: str | None,
    category: str | None,
    band: str | None,
) -> dict[str, Any]:
    """Every buyer of the year within the filters, in the method's order: the ranked first
    (rank 1…n within these filters), then those below the minimum, unranked."""
    years = years_available(session)
    if year is None:
        year = years[0] if years else None
    query = (
        select(_y, _b.c.name)
        .join(_b, _b.c.siret == _y.c.siret)
        .where(_y.c.year == (year if year is not None else -1))
    )
    if region:
        query = query.where(_y.c.region_code == region)
    if category:
        query = query.where(_y.c.category == category)
    if band:
        query = query.where(_y.c.band == band)
    rows = list(session.connection().execute(query))
    ranked = sorted(
        (r for r in rows if r.contracts >= method.MIN_CONTRACTS_TO_RANK), key=method.order_key
    )
    unranked = sorted(
        (r for r in rows if r.contracts < method.MIN_CONTRACTS_TO_RANK), key=method.order_key
    )
    names = _region_names(session)
    items = [_item(r, n, names) for n, r in enumerate(ranked, start=1)]
    items += [_item(r, None, names) for r in unranked]
    return {
        "year": year,
        "years_available": years,
        "filters": {"region": region, "category": category, "band": band},
        "total": len(items),
        "ranked": len(ranked),
        "items": items,
    }


def _item(row: Any, rank: int | None, region_names: dict[str, str]) -> dict[str, Any]:
    figures = _figures(row)
    return {
        "rank": rank,
        "siret": row.siret,
        "name": row.name,
        "category": row.category,
        "category_label": method.CATEGORY_LABELS.get(row.category, row.category),
        "band": row.band,
        "band_label": method.BAND_LABELS.get(row.band, row.band),
        "region_code": row.region_code,
        "region_name": region_names.get(row.region_code) if row.region_code else None,
        **figures,
        "inclusive_contracts": row.inclusive_contracts,
        "inclusive_amount_eur": row.inclusive_amount_eur,
    }


def search(session: Session, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """Buyers whose SIRET starts with the digits given, or whose name holds every word."""
    text = q.strip()
    digits = text.replace(" ", "")
    query = select(_b.c.siret, _b.c.name, _b.c.category)
    if digits.isdigit():
        query = query.where(_b.c.siret.startswith(digits))
    else:
        words = fold(text).split()
        if not words:
            return []
        query = query.where(*(_b.c.search_name.contains(word) for word in words[:8]))
    rows = list(session.connection().execute(query.order_by(_b.c.name, _b.c.siret).limit(limit)))
    latest = _latest_regions(session, [r.siret for r in rows])
    names = _region_names(session)
    return [
        {
            "siret": r.siret,
            "name": r.name,
            "category_label": method.CATEGORY_LABELS.get(r.category, r.category),
            "region_name": names.get(latest.get(r.siret) or ""),
        }
        for r in rows
    ]


def _latest_regions(session: Session, sirets: list[str]) -> dict[str, str | None]:
    if not sirets:
        return {}
    query = (
        select(_y.c.siret, _y.c.year, _y.c.region_code)
        .where(_y.c.siret.in_(sirets))
        .order_by(_y.c.year)
    )
    return {r.siret: r.region_code for r in session.connection().execute(query)}


def _rank_of(session: Session, row: Any) -> dict[str, int | None] | None:
    if row.rank_national is None:
        return None
    same_band = (_y.c.year == row.year, _y.c.band == row.band, _y.c.rank_national.is_not(None))

    def count(*conditions: Any) -> int:
        query = select(func.count()).select_from(_y).where(*same_band, *conditions)
        return int(session.connection().execute(query).scalar_one())

    return {
        "national": row.rank_national,
        "national_of": count(),
        "region": row.rank_region,
        "region_of": count(_y.c.region_code == row.region_code) if row.region_code else None,
        "category": row.rank_category,
        "category_of": count(_y.c.category == row.category),
    }


def buyer(session: Session, siret: str) -> dict[str, Any] | None:
    head = session.connection().execute(select(_b).where(_b.c.siret == siret)).first()
    if head is None:
        return None
    rows = list(
        session.connection().execute(
            select(_y).where(_y.c.siret == siret).order_by(_y.c.year.desc())
        )
    )
    names = _region_names(session)
    latest = rows[0] if rows else None
    return {
        "siret": head.siret,
        "siren": head.siren,
        "name": head.name,
        "category": head.category,
        "category_label": method.CATEGORY_LABELS.get(head.category, head.category),
        "band": latest.band if latest else None,
        "band_label": method.BAND_LABELS.get(latest.band) if latest else None,
        "region_code": latest.region_code if latest else None,
        "region_name": names.get(latest.region_code or "") if latest else None,
        "years": [
            {
                "year": r.year,
                **_figures(r),
                "band": r.band,
                "band_label": method.BAND_LABELS.get(r.band, r.band),
                "region_code": r.region_code,
                "region_name": names.get(r.region_code or ""),
                "inclusive": {
                    "contracts": r.inclusive_contracts,
                    "amount_eur": r.inclusive_amount_eur,
                    "awarded_contracts": r.inclusive_awarded,
                    "subcontracted_contracts": r.inclusive_subcontracted,
                    "by_family": dict(r.by_family or {}),
                    "by_kind": dict(r.by_kind or {}),
                },
                "rank": _rank_of(session, r),
            }
            for r in rows
        ],
    }


def labels() -> dict[str, dict[str, str]]:
    """Words for the codes of `by_family` and `by_kind`."""
    return {"families": dict(_FAMILY_LABELS), "kinds": dict(_KIND_LABELS)}


def region_exists(session: Session, code: str) -> bool:
    query = select(_r.c.code).where(or_(_r.c.code == code))
    return session.connection().execute(query).first() is not None
