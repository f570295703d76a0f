"""The search index's settings, declared here and applied before any document."""

from __future__ import annotations

import csv
from pathlib import Path

from meilisearch_python_sdk.models.settings import (
    Faceting,
    LocalizedAttributes,
    MeilisearchSettings,
    Pagination,
    TypoTolerance,
)

from services.domain.search_index import FILTERABLE_ATTRIBUTES, MAX_TOTAL_HITS, SORTABLE_ATTRIBUTES

SYNONYMS_PATH = "search/synonymes.csv"


def load_synonyms(data_dir: Path) -> dict[str, list[str]]:
    """Each term of a group stands for every other term of its group (data/search/synonymes.csv)."""
    synonyms: dict[str, list[str]] = {}
    with (data_dir / SYNONYMS_PATH).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            terms = [t.strip() for t in row["termes"].split("|") if t.strip()]
            for term in terms:
                synonyms[term] = [other for other in terms if other != term]
    return synonyms


def index_settings(data_dir: Path) -> MeilisearchSettings:
    settings = BASE_SETTINGS.model_copy()
    settings.synonyms = load_synonyms(data_dir)
    return settings


BASE_SETTINGS = MeilisearchSettings(
    searchable_attributes=[
        "name",
        "brand",
        "sector_names",
        "offer_titles",
        "naf_label",
        "offer_descriptions",
        "description",
        "city",
        "department_name",
        "siret",
        "siren",
        "finess",
        "postcode",
    ],
    filterable_attributes=list(FILTERABLE_ATTRIBUTES),
    sortable_attributes=list(SORTABLE_ATTRIBUTES),
    # Searching within facet values is never offered; not building it for every filterable
    # value (coverage tokens above all) makes indexing about 40 % faster.
    facet_search=False,
    typo_tolerance=TypoTolerance(
        enabled=True,
        disable_on_attributes=["siret", "siren", "finess", "postcode"],
        disable_on_numbers=True,
    ),
    localized_attributes=[LocalizedAttributes(attribute_patterns=["*"], locales=["fra"])],
    stop_words=[
        "l",
        "d",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "et",
        "en",
        "au",
        "aux",
        "un",
        "une",
    ],
    faceting=Faceting(max_values_per_facet=1000, sort_facet_values_by={"*": "count"}),
    pagination=Pagination(max_total_hits=MAX_TOTAL_HITS),
)
