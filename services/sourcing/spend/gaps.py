"""Where an organisation buys a category from no inclusive supplier although the search finds
some on its territory: « you buy cleaning in the 69 from no inclusive supplier; 12 exist ».

A territory is a département of the organisation's sites, or one where its lines say the
spend happened (their site postcode). A line without a site postcode counts in every site's
département. The count is the one `/v1/search` gives for the sector and the département."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import case, func, select
from sqlmodel import Session

from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.request import SearchParameters
from services.sourcing.search.service import search_structures
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.spend.categories import sector_labels
from services.sourcing.spend.dashboard import INCLUSIVE, Filters, category_sectors, euros
from services.sourcing.spend.models import SpendLine, SpendSupplier
from services.sourcing.spend.sites import (
    department_label,
    department_of_postcode,
    site_departments,
)


@dataclass(frozen=True)
class GapCandidate:
    """A mapped category bought in a territory from no inclusive supplier."""

    category: str
    sector: str
    department: str
    cents: int


@dataclass(frozen=True)
class GapInputs:
    candidates: list[GapCandidate]
    unmapped_categories: int


def candidates(
    session: Session,
    organisation_id: int,
    upload_id: int,
    filters: Filters,
    vocabulary: SearchVocabulary,
) -> GapInputs:
    """The (category, département) pairs to ask the search about, from one GROUP BY over the
    year's lines by category, site postcode and whether the supplier is inclusive."""
    line = SpendLine.__table__.c  # type: ignore[attr-defined]
    supplier = SpendSupplier.__table__.c  # type: ignore[attr-defined]
    inclusive = supplier.match.in_(INCLUSIVE)
    rows = (
        session.connection()
        .execute(
            select(
                line.category,
                line.site_postcode,
                func.sum(line.amount_cents),
                func.coalesce(func.sum(case((inclusive, 1), else_=0)), 0),
            )
            .join_from(
                SpendLine.__table__,  # type: ignore[attr-defined]
                SpendSupplier.__table__,  # type: ignore[attr-defined]
                (supplier.upload_id == line.upload_id)
                & (supplier.supplier_key == line.supplier_key),
            )
            .where(line.upload_id == upload_id, line.category != "", *filters.clauses())
            .group_by(line.category, line.site_postcode)
        )
        .all()
    )
    sectors = category_sectors(session, organisation_id)
    sites = site_departments(session, organisation_id)
    spent: dict[tuple[str, str], int] = {}
    served: set[tuple[str, str]] = set()
    categories = set()
    for category, postcode, cents, inclusive_lines in rows:
        categories.add(category)
        if not sectors.get(category):
            continue
        department = department_of_postcode(vocabulary, postcode) if postcode else None
        for territory in [department] if department else sites:
            key = (category, territory)
            spent[key] = spent.get(key, 0) + int(cents)
            if inclusive_lines:
                served.add(key)
    found = [
        GapCandidate(category, sectors[category] or "", department, cents)
        for (category, department), cents in spent.items()
        if cents > 0 and (category, department) not in served
    ]
    found.sort(key=lambda c: (-c.cents, c.category, c.department))
    unmapped = sum(1 for c in categories if not sectors.get(c))
    return GapInputs(found, unmapped)


async def available(
    engine: SearchEngine, vocabulary: SearchVocabulary, sector: str, department: str
) -> int:
    """How many structures the buyers' search finds for this sector in this département."""
    request = SearchParameters(sector=[sector], department=[department], per_page=1).resolve(
        vocabulary
    )
    return (await search_structures(engine, request, vocabulary)).total


def search_url(website: str, sector: str, department: str) -> str:
    return f"{website}/recherche?" + urlencode([("sector", sector), ("department", department)])


async def gaps(
    inputs: GapInputs, engine: SearchEngine, vocabulary: SearchVocabulary, website: str
) -> list[dict[str, Any]]:
    """The candidates where the search finds structures; each (sector, département) is asked
    once per request."""
    counts: dict[tuple[str, str], int] = {}
    labels = sector_labels(vocabulary)
    found = []
    for candidate in inputs.candidates:
        key = (candidate.sector, candidate.department)
        if key not in counts:
            counts[key] = await available(engine, vocabulary, *key)
        if counts[key] > 0:
            found.append(
                {
                    "category": candidate.category,
                    "sector": candidate.sector,
                    "sector_label": labels.get(candidate.sector, candidate.sector),
                    "department": candidate.department,
                    "department_label": department_label(vocabulary, candidate.department),
                    "spend_eur": euros(candidate.cents),
                    "available": counts[key],
                    "search_url": search_url(website, *key),
                }
            )
    return found
