"""The organisation's spend categories and the platform's sectors they stand for: the mapping
lets the dashboard ask the search which inclusive suppliers serve a category. A sector is
suggested for each category from the words they share (synonyms of the search included)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlmodel
from sqlalchemy import func, select
from sqlmodel import Session, col

from services.common.text import fold
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.spend.dashboard import euros
from services.sourcing.spend.models import SpendCategory, SpendLine
from services.sourcing.spend.sites import body_error

SYNONYMS = "search/synonymes.csv"
# Words that say nothing of what is bought.
_STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "un",
        "une",
        "autres",
        "divers",
    ]
)


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in fold(text).split() if w not in _STOPWORDS and len(w) > 1)


@dataclass(frozen=True)
class SectorWords:
    slug: str
    label: str
    words: frozenset[str]


@cache
def _synonym_groups(data_dir: Path) -> tuple[tuple[frozenset[str], ...], ...]:
    """Each group of synonyms of the search, as the significant words of each of its terms."""
    path = data_dir / SYNONYMS
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            tuple(_words(t) for t in row["termes"].split("|") if _words(t))
            for row in csv.DictReader(handle)
        )


def sector_labels(vocabulary: SearchVocabulary) -> dict[str, str]:
    return {row["secteur_slug"]: row["secteur"] for row in vocabulary.sector_rows}


def suggest(
    label: str, sectors: Sequence[SectorWords], synonyms: Sequence[Sequence[frozenset[str]]]
) -> str | None:
    """The sector sharing most words with the category; its own words weigh double those its
    synonyms bring; ties go to the sector with fewer words (the more specific)."""
    own = _words(label)
    if not own:
        return None
    related: set[str] = set()
    for group in synonyms:
        if any(term <= own for term in group):
            related.update(*group)
    best: tuple[int, int, str] | None = None
    for sector in sectors:
        score = 2 * len(own & sector.words) + len(related & sector.words)
        if score and (best is None or (-score, len(sector.words), sector.slug) < best):
            best = (-score, len(sector.words), sector.slug)
    return best[2] if best else None


def _sector_words(vocabulary: SearchVocabulary) -> list[SectorWords]:
    return [
        SectorWords(row["secteur_slug"], row["secteur"], _words(row["secteur"]))
        for row in vocabulary.sector_rows
    ]


def view(
    session: Session,
    organisation_id: int,
    upload_id: int | None,
    vocabulary: SearchVocabulary,
    data_dir: Path,
) -> dict[str, Any]:
    """The categories the year's lines name, with their spend, mapped sector and suggestion."""
    mapped = {
        row.label: row.sector_slug
        for row in session.exec(
            sqlmodel.select(SpendCategory).where(
                col(SpendCategory.organisation_id) == organisation_id
            )
        ).all()
    }
    if upload_id is None:
        return {"items": []}
    line = SpendLine.__table__.c  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(line.category, func.sum(line.amount_cents))
        .where(line.upload_id == upload_id, line.category != "")
        .group_by(line.category)
        .order_by(func.sum(line.amount_cents).desc(), line.category)
    )
    sectors = _sector_words(vocabulary)
    synonyms = _synonym_groups(data_dir)
    return {
        "items": [
            {
                "label": label,
                "sector": mapped.get(label),
                "suggested_sector": suggest(label, sectors, synonyms),
                "spend_eur": euros(cents),
            }
            for label, cents in rows
        ]
    }


def save(
    session: Session,
    organisation_id: int,
    mappings: Sequence[tuple[str, str | None]],
    vocabulary: SearchVocabulary,
) -> None:
    """Maps each label to its sector (None unmaps it); an unknown sector refuses them all."""
    for position, (label, sector) in enumerate(mappings):
        if sector is not None and sector not in vocabulary.sectors:
            raise body_error(("mappings", position, "sector"), f"secteur inconnu « {sector[:60]} »")
        if not label.strip():
            raise body_error(("mappings", position, "label"), "la catégorie est vide")
    existing = {
        row.label: row
        for row in session.exec(
            sqlmodel.select(SpendCategory).where(
                col(SpendCategory.organisation_id) == organisation_id
            )
        ).all()
    }
    for label, sector in mappings:
        row = existing.get(label)
        if row is None:
            row = SpendCategory(organisation_id=organisation_id, label=label, sector_slug=sector)
            existing[label] = row
        row.sector_slug = sector
        session.add(row)
    session.flush()
