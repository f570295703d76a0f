"""Where each activity serves, precomputed as filter tokens, since the engine has no polygons.

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

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from services.catalog.reference.models import Commune, Department
from services.catalog.structures.models import Activity, RangeKind, Structure
from services.common.geo import distance_m

ANY = "*"
_REACHED_KEPT = 20_000  # answers kept per geography: bounded memory, even at a million activities


@dataclass
class CoverageGeography:
    """Commune centres and the administrative nesting, loaded once per relay batch."""

    centres: dict[str, tuple[float, float]]
    commune_department: dict[str, str]
    department_region: dict[str, str]
    department_points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> CoverageGeography:
        centres: dict[str, tuple[float, float]] = {}
        commune_department: dict[str, str] = {}
        points: dict[str, list[tuple[float, float]]] = {}
        for code, department, lat, lon in session.exec(
            select(Commune.code, Commune.department_code, Commune.latitude, Commune.longitude)
        ):
            commune_department[code] = department
            if lat is not None and lon is not None:
                centres[code] = (lat, lon)
                points.setdefault(department, []).append((lat, lon))
        department_region = {d.code: d.region_code for d in session.exec(select(Department))}
        return cls(centres, commune_department, department_region, points)

    def __post_init__(self) -> None:
        self._boxes = {
            department: (
                min(p[0] for p in points),
                max(p[0] for p in points),
                min(p[1] for p in points),
                max(p[1] for p in points),
            )
            for department, points in self.department_points.items()
            if points
        }
        self._reached: dict[tuple[float, float, int], frozenset[str]] = {}

    def departments_within(self, lat: float, lon: float, radius_km: int) -> frozenset[str]:
        """Départements with a commune centre within the radius. Départements whose box of
        commune centres lies farther than the radius are skipped without measuring their
        communes; answers are kept, since structures of one commune share their centre."""
        key = (lat, lon, radius_km)
        if (known := self._reached.get(key)) is not None:
            return known
        limit = radius_km * 1000
        reached = set()
        for department, (lat_min, lat_max, lon_min, lon_max) in self._boxes.items():
            nearest_in_box = (min(max(lat, lat_min), lat_max), min(max(lon, lon_min), lon_max))
            # The box's nearest point is a lower bound up to a fraction of a percent at these
            # latitudes; 2 % of margin keeps the skip safe.
            if distance_m((lat, lon), nearest_in_box) * 0.98 > limit:
                continue
            points = self.department_points[department]
            if any(distance_m((lat, lon), point) <= limit for point in points):
                reached.add(department)
        if len(self._reached) >= _REACHED_KEPT:
            self._reached.clear()
        self._reached[key] = frozenset(reached)
        return self._reached[key]


def centre_of(structure: Structure, geography: CoverageGeography) -> tuple[float, float] | None:
    """The point distances are measured from: the structure's commune centre, else its own."""
    if structure.commune_code and structure.commune_code in geography.centres:
        return geography.centres[structure.commune_code]
    if structure.latitude is not None and structure.longitude is not None:
        return structure.latitude, structure.longitude
    return None


def location_tokens(structure: Structure) -> set[str]:
    tokens = set()
    if structure.commune_code:
        tokens.add(f"loc:c:{structure.commune_code}")
    if structure.department_code:
        tokens.add(f"loc:d:{structure.department_code}")
    if structure.region_code:
        tokens.add(f"loc:r:{structure.region_code}")
    return tokens


def activity_places(
    activity: Activity, centre: tuple[float, float] | None, geography: CoverageGeography
) -> set[str]:
    kind = RangeKind(activity.range_kind)
    if kind == RangeKind.COUNTRY:
        return {"fr"}
    if kind == RangeKind.ZONES:
        prefix = {"commune": "c", "departement": "d", "region": "r"}
        return {f"{prefix[z['type']]}:{z['code']}" for z in activity.zones}
    if centre is None or activity.radius_km is None:
        return set()
    departments = geography.departments_within(centre[0], centre[1], activity.radius_km)
    regions = {
        geography.department_region[d] for d in departments if d in geography.department_region
    }
    return {f"rd:{d}" for d in departments} | {f"rr:{r}" for r in regions}


def coverage_fields(
    structure: Structure, activities: list[Activity], geography: CoverageGeography
) -> dict[str, Any]:
    centre = centre_of(structure, geography)
    located = location_tokens(structure)
    tokens = {f"{ANY}|{ANY}|{place}" for place in located}
    radius_tokens: set[str] = set()
    radius_values: set[int] = set()
    for activity in activities:
        places = activity_places(activity, centre, geography) | located | {"any"}
        domains = [
            (sector, presta)
            for sector in (activity.sector_slug, ANY)
            for presta in (*activity.presta_types, ANY)
        ]
        tokens |= {f"{s}|{p}|{place}" for s, p in domains for place in places}
        if RangeKind(activity.range_kind) == RangeKind.RADIUS and activity.radius_km and centre:
            radius_values.add(activity.radius_km)
            radius_tokens |= {f"{s}|{p}|{activity.radius_km}" for s, p in domains}
    return {
        "coverage": sorted(tokens),
        "coverage_radius": sorted(radius_tokens),
        "radius_values": sorted(radius_values),
        "_geo": {"lat": centre[0], "lng": centre[1]} if centre else None,
    }
