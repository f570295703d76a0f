"""The search index's settings, declared here and applied before any document."""

from __future__ import annotations

from meilisearch_python_sdk.models.settings import (
    Faceting,
    LocalizedAttributes,
    MeilisearchSettings,
    Pagination,
    TypoTolerance,
)

FILTERABLE_ATTRIBUTES = [
    "kind",
    "family",
    "is_siae",
    "department_code",
    "region_code",
    "commune_code",
    "sectors",
    "sector_groups",
    "presta_types",
    "has_activities",
    "has_offers",
    "is_qpv",
    "is_zrr",
    "networks",
    "labels",
    "reservations",
    "headcount_band",
    "turnover_band",
    "naf",
    "coverage",
    "coverage_radius",
    "radius_values",
    "_geo",
]
SORTABLE_ATTRIBUTES = ["name", "_geo"]
# Exact totals for whole result sets: Meilisearch stops counting at maxTotalHits.
MAX_TOTAL_HITS = 1_000_000

INDEX_SETTINGS = MeilisearchSettings(
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
