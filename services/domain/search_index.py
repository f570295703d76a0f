"""The search index's contract: the catalog writes structures in this shape, sourcing reads them.

Where an activity serves is precomputed as coverage tokens, since the engine has no polygons.
A token is "<sector>|<presta type>|<place>", with "*" standing for any sector or presta type,
so that sector, presta type and range always hold on the same activity. Places:
- "fr": France entière;
- "c:<commune>", "d:<département>", "r:<région>": zones, each covering what it contains
  (a commune zone its commune, a département zone its communes, a région zone its départements);
- "rd:<département>", "rr:<région>": within an activity's radius of the structure's commune
  centre, measured to the nearest commune centre of that département or région;
- "loc:c:…", "loc:d:…", "loc:r:…": where the structure is located (it always serves there);
- "any": the activity exists (a domain search with no place).
Radius activities also give "<sector>|<presta>|<km>" radius tokens: for a commune, search
matches them with a distance filter, exactly, commune centre to commune centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["commune", "departement", "region"]
Relation = Literal["country", "zone", "radius", "located", "any"]

# Exact totals for whole result sets: the engine stops counting at maxTotalHits.
MAX_TOTAL_HITS = 1_000_000

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

ANY = "*"
ANY_PLACE = "any"
COUNTRY = "fr"
# Matches no token: the coverage of a domain that names no sector (an unmapped CPV code).
NOTHING = "nothing"

_LEVEL: dict[str, Level] = {"c": "commune", "d": "departement", "r": "region"}
_RADIUS_LEVEL: dict[str, Level] = {"rd": "departement", "rr": "region"}
_PREFIX: dict[str, str] = {level: prefix for prefix, level in _LEVEL.items()}
_RADIUS_PREFIX: dict[str, str] = {level: prefix for prefix, level in _RADIUS_LEVEL.items()}
_LOCATED = "loc"


def zone(level: str, code: str) -> str:
    return f"{_PREFIX[level]}:{code}"


def within_radius(level: str, code: str) -> str:
    """A département or région one of whose commune centres an activity's radius reaches."""
    return f"{_RADIUS_PREFIX[level]}:{code}"


def located(level: str, code: str) -> str:
    return f"{_LOCATED}:{_PREFIX[level]}:{code}"


def coverage_token(sector: str, presta_type: str, place: str) -> str:
    return f"{sector}|{presta_type}|{place}"


def radius_token(sector: str, presta_type: str, radius_km: int) -> str:
    return f"{sector}|{presta_type}|{radius_km}"


@dataclass(frozen=True)
class PlaceToken:
    relation: Relation
    level: Level | None = None
    code: str | None = None


def parse_place(place: str) -> PlaceToken:
    """The reverse of the builders above; a ValueError for anything they do not make."""
    if place == COUNTRY:
        return PlaceToken("country")
    if place == ANY_PLACE:
        return PlaceToken("any")
    head, _, code = place.partition(":")
    if head == _LOCATED:
        prefix, _, code = code.partition(":")
        if prefix in _LEVEL and code:
            return PlaceToken("located", _LEVEL[prefix], code)
    elif head in _LEVEL and code:
        return PlaceToken("zone", _LEVEL[head], code)
    elif head in _RADIUS_LEVEL and code:
        return PlaceToken("radius", _RADIUS_LEVEL[head], code)
    raise ValueError(f"not a coverage place: {place!r}")


def is_location(place: str) -> bool:
    return parse_place(place).relation == "located"


def places_serving(
    level: Level, code: str, department: str | None = None, region: str | None = None
) -> frozenset[str]:
    """The coverage places of which any one means a structure serves this searched place:
    a commune (with its département and région), a département (with its région), a région."""
    places = {COUNTRY, zone(level, code), located(level, code)}
    if level != "commune":
        places.add(within_radius(level, code))
    if department is not None:
        places.add(zone("departement", department))
    if region is not None:
        places.add(zone("region", region))
    return frozenset(places)
