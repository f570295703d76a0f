"""The one place where search filters are built: whitelisted fields, every value escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from services.domain.search_index import (
    ANY,
    ANY_PLACE,
    NOTHING,
    coverage_token,
    radius_token,
)
from services.sourcing.search.places import Territory

# API parameter -> index attribute, for the filters that are plain attribute matches.
FILTER_FIELDS: Mapping[str, str] = {
    "kind": "kind",
    "family": "family",
    "reservation": "reservations",
    "network": "networks",
    "label": "labels",
    "headcount": "headcount_band",
    "turnover": "turnover_band",
    "naf": "naf",
    "qpv": "is_qpv",
    "zrr": "is_zrr",
    "has_offers": "has_offers",
}
# Facets shown for each filter, including the place and domain ones.
FACET_FIELDS: Mapping[str, str] = {
    **{k: v for k, v in FILTER_FIELDS.items() if k != "naf"},
    "department": "department_code",
    "region": "region_code",
    "sector": "sectors",
    "presta_type": "presta_types",
}


def quote(value: str) -> str:
    """A filter string literal: backslashes and double quotes escaped, then quoted."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(attribute: str, values: Iterable[str]) -> str:
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def build_filter(selected: Mapping[str, Sequence[str]]) -> list[str]:
    """AND across parameters, OR among the values of one parameter."""
    clauses = []
    for parameter, values in selected.items():
        if not values:
            continue
        attribute = FILTER_FIELDS[parameter]
        clauses.append(any_of(attribute, sorted(set(values))))
    return clauses


def coverage_filter(
    sectors: frozenset[str] | None,
    presta_types: frozenset[str] | None,
    territory: Territory,
    point: tuple[float, float, int] | None,
    radius_values: Sequence[int],
) -> str | None:
    """Structures with one activity that fits the domain and serves the territory.

    Sector, presta type and place are matched on the same activity through the catalog's
    precomputed tokens; communes reached by a radius are checked by distance, exactly.
    """
    if sectors is None and presta_types is None and territory.empty:
        if point is None:
            return None
        lat, lng, radius_km = point
        return f"_geoRadius({lat!r}, {lng!r}, {radius_km * 1000})"
    if sectors is not None and not sectors:
        return f"coverage = {quote(NOTHING)}"  # a domain with no sector (an unmapped CPV code)
    domains = [
        (s, p)
        for s in sorted(sectors if sectors is not None else {ANY})
        for p in sorted(presta_types if presta_types is not None else {ANY})
    ]
    places = sorted({t for place in territory.places for t in place.tokens}) or [ANY_PLACE]
    clauses = [any_of("coverage", [coverage_token(s, p, t) for s, p in domains for t in places])]
    for place in territory.places:
        if not place.radius_applies or place.centre is None:
            continue
        lat, lng = place.centre
        for radius in radius_values:
            tokens = any_of("coverage_radius", [radius_token(s, p, radius) for s, p in domains])
            clauses.append(f"({tokens} AND _geoRadius({lat!r}, {lng!r}, {radius * 1000}))")
    combined = "(" + " OR ".join(clauses) + ")"
    if point is not None:
        lat, lng, radius_km = point
        combined = f"({combined} AND _geoRadius({lat!r}, {lng!r}, {radius_km * 1000}))"
    return combined
