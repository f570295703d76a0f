"""The shared vocabulary: reservations, bands and the index's coverage grammar."""

from __future__ import annotations

import pytest

from services.domain.bands import HEADCOUNT_BANDS, TURNOVER_BANDS, band
from services.domain.kinds import Kind
from services.domain.reservations import BOTH, Reservation, kinds_reserved_for, reservations_of
from services.domain.search import SearchParameters, openapi_parameters
from services.domain.search_index import (
    PlaceToken,
    coverage_token,
    is_location,
    located,
    parse_place,
    places_serving,
    within_radius,
    zone,
)


def test_reservations_cite_their_article_for_each_family() -> None:
    assert kinds_reserved_for("L2113-12") == [Kind.EA, Kind.EATT, Kind.ESAT]
    assert kinds_reserved_for("L2113-13") == [Kind.EI, Kind.AI, Kind.ACI, Kind.ETTI, Kind.EITI]
    assert len(kinds_reserved_for(BOTH)) == 8
    assert reservations_of(Kind.ESAT) == [Reservation.DISABILITY]
    assert reservations_of(Kind.EITI) == [Reservation.INSERTION]
    assert reservations_of(Kind.GEIQ) == []
    with pytest.raises(ValueError):
        kinds_reserved_for("L2113-14")


def test_bands_are_named_by_their_floor() -> None:
    assert band(None, HEADCOUNT_BANDS) is None
    assert [band(v, HEADCOUNT_BANDS) for v in (0, 9, 10, 249, 250)] == [
        "0-9",
        "0-9",
        "10-49",
        "50-249",
        "250+",
    ]
    assert band(2_000_000, TURNOVER_BANDS) == "2M-10M"


@pytest.mark.parametrize(
    ("place", "parsed"),
    [
        ("fr", PlaceToken("country")),
        ("any", PlaceToken("any")),
        (zone("commune", "93066"), PlaceToken("zone", "commune", "93066")),
        (zone("departement", "2A"), PlaceToken("zone", "departement", "2A")),
        (within_radius("region", "84"), PlaceToken("radius", "region", "84")),
        (located("departement", "974"), PlaceToken("located", "departement", "974")),
    ],
)
def test_places_read_back_as_written(place: str, parsed: PlaceToken) -> None:
    assert parse_place(place) == parsed


@pytest.mark.parametrize("bad", ["", "x:1", "c:", "loc:x:1", "loc:c:", "rd", "93066"])
def test_unknown_places_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_place(bad)


def test_a_searched_place_is_served_by_what_contains_it() -> None:
    assert places_serving("commune", "93066", "93", "11") == {
        "c:93066",
        "d:93",
        "r:11",
        "fr",
        "loc:c:93066",
    }
    assert places_serving("departement", "93", region="11") == {
        "d:93",
        "rd:93",
        "r:11",
        "fr",
        "loc:d:93",
    }
    assert places_serving("region", "11") == {"r:11", "rr:11", "fr", "loc:r:11"}
    assert [p for p in places_serving("region", "11") if is_location(p)] == ["loc:r:11"]
    assert coverage_token("*", "PREST", "d:93") == "*|PREST|d:93"


def test_the_documented_parameters_are_the_accepted_ones() -> None:
    documented = {p["name"]: p for p in openapi_parameters()}
    assert set(documented) == SearchParameters.names()
    assert documented["per_page"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
    }
    assert documented["kind"]["schema"]["type"] == "array"
    assert documented["qpv"]["schema"] == {"type": "boolean"}


def test_sourcing_filters_only_on_what_the_catalog_makes_filterable() -> None:
    from services.domain.search_index import FILTERABLE_ATTRIBUTES
    from services.sourcing.search.filters import FACET_FIELDS, FILTER_FIELDS

    assert set(FILTER_FIELDS.values()) | set(FACET_FIELDS.values()) <= set(FILTERABLE_ATTRIBUTES)
