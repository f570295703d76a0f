"""Reading the figures: the ranking of a year (filtered, ranked within the filters), a buyer's
years, the search of a buyer by name or SIRET, the method and its sources."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.decp import method
from services.catalog.decp.repository import DecpRepository
from services.common.text import fold


def last_import(session: Session) -> str | None:
    row = DecpRepository(session).last_import()
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
    page: int = 1,
    per_page: int | None = None,
) -> dict[str, Any]:
    """Every buyer of the year within the filters, band by band (largest band first), each band
    in the method's order: its ranked buyers first (rank 1…n among the buyers of that band within
    these filters), then those below the minimum, unranked. The database orders and pages
    (`per_page` None: all), on the shares stored as the method rounds them."""
    repository = DecpRepository(session)
    years = repository.years()
    if year is None:
        year = years[0] if years else None
    counts = repository.ranking_counts(year, region, category, band) if year else {}
    offset = (page - 1) * (per_page or 0)
    rows = (
        repository.ranking_rows(year, region, category, band, offset, per_page)
        if year is not None
        else []
    )
    names = repository.region_names()
    items = [_item(row, None if row.unranked else row.position, names) for row in rows]
    bands = [
        {
            "code": b.code,
            "label": b.label,
            "total": counts[b.code][0],
            "ranked": counts[b.code][1],
        }
        for b in reversed(method.BANDS)
        if b.code in counts
    ]
    return {
        "year": year,
        "years_available": years,
        "filters": {"region": region, "category": category, "band": band},
        "total": sum(total for total, _ in counts.values()),
        "ranked": sum(ranked for _, ranked in counts.values()),
        "bands": bands,
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
    repository = DecpRepository(session)
    text = q.strip()
    digits = text.replace(" ", "")
    words = fold(text).split()[:8]
    if not digits.isdigit() and not words:
        return []
    rows = repository.find_buyers(digits if digits.isdigit() else None, words, limit)
    latest = repository.latest_regions([r.siret for r in rows])
    names = repository.region_names()
    return [
        {
            "siret": r.siret,
            "name": r.name,
            "category_label": method.CATEGORY_LABELS.get(r.category, r.category),
            "region_name": names.get(latest.get(r.siret) or ""),
        }
        for r in rows
    ]


def _rank_of(repository: DecpRepository, row: Any) -> dict[str, int | None] | None:
    """Ranks within the buyer's size band that year, each with how many were ranked there."""
    if row.rank_national is None:
        return None
    count = repository.ranked_count
    return {
        "national": row.rank_national,
        "national_of": count(row.year, row.band),
        "region": row.rank_region,
        "region_of": count(row.year, row.band, region=row.region_code) if row.region_code else None,
        "category": row.rank_category,
        "category_of": count(row.year, row.band, category=row.category),
    }


def buyer(session: Session, siret: str) -> dict[str, Any] | None:
    repository = DecpRepository(session)
    head = repository.buyer(siret)
    if head is None:
        return None
    rows = repository.buyer_years(siret)
    names = repository.region_names()
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
                "rank": _rank_of(repository, r),
            }
            for r in rows
        ],
    }


def region_exists(session: Session, code: str) -> bool:
    return DecpRepository(session).region_exists(code)
