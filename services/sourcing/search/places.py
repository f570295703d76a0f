"""A searched place and the coverage it asks for (the catalog precomputes the other side)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.domain.search_index import places_serving
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
    tokens = places_serving("commune", code, commune.department, commune.region)
    return Place("commune", code, commune.name, commune.centre, tokens, radius_applies=True)


def department_place(vocabulary: SearchVocabulary, code: str) -> Place:
    tokens = places_serving("departement", code, region=vocabulary.departments[code])
    return Place("departement", code, code, vocabulary.centre_of_department(code), tokens)


def region_place(vocabulary: SearchVocabulary, code: str) -> Place:
    tokens = places_serving("region", code)
    return Place("region", code, code, vocabulary.centre_of_region(code), tokens)
