"""A searched place and the coverage it asks for (the catalog precomputes the other side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from services.domain.search_index import located, parse_place, places_serving, zone
from services.sourcing.search.vocabulary import SearchVocabulary


@dataclass(frozen=True)
class Place:
    level: str  # "commune" | "departement" | "region"
    code: str
    label: str
    centre: tuple[float, float] | None
    tokens: frozenset[str]  # coverage places that serve it
    radius_applies: bool = False  # commune: radius activities are checked by distance


@dataclass
class Territory:
    places: list[Place] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.places

    @property
    def centre(self) -> tuple[float, float] | None:
        return self.places[0].centre if len(self.places) == 1 else None


def commune_place(vocabulary: SearchVocabulary, code: str) -> Place:
    commune = vocabulary.communes[code]
    tokens = set(places_serving("commune", code, commune.department, commune.region))
    # A structure located in one of Paris's, Lyon's or Marseille's arrondissements is located in
    # the city; an activity zoned to the city serves each of its arrondissements.
    tokens |= {located("commune", a) for a in vocabulary.arrondissements.get(code, ())}
    if commune.parent:
        tokens.add(zone("commune", commune.parent))
    return Place(
        "commune", code, commune.name, commune.centre, frozenset(tokens), radius_applies=True
    )


@lru_cache(maxsize=4096)
def located_codes(place: Place) -> frozenset[str]:
    """The codes a structure's own commune, département or région code must have for the
    structure to be located in the place (a city's arrondissements, for a city)."""
    codes = {place.code}
    for token in place.tokens:
        parsed = parse_place(token)
        if parsed.relation == "located" and parsed.level == place.level and parsed.code:
            codes.add(parsed.code)
    return frozenset(codes)


def department_place(vocabulary: SearchVocabulary, code: str) -> Place:
    tokens = places_serving("departement", code, region=vocabulary.departments[code])
    return Place("departement", code, code, vocabulary.centre_of_department(code), tokens)


def region_place(vocabulary: SearchVocabulary, code: str) -> Place:
    tokens = places_serving("region", code)
    return Place("region", code, code, vocabulary.centre_of_region(code), tokens)
