"""Where each activity serves, precomputed as the index's coverage tokens (their grammar is in
`services.domain.search_index`): zones as given, radius ranges measured to every département and
région they reach, and the structure's own location."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from services.catalog.reference.models import Commune, Department
from services.catalog.structures.models import Activity, RangeKind, Structure
from services.common.geo import EARTH_RADIUS_M, distance_m
from services.domain.search_index import (
    ANY,
    ANY_PLACE,
    COUNTRY,
    coverage_token,
    located,
    radius_token,
    within_radius,
    zone,
)

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
        # Each département's commune centres, grouped in cells of a quarter degree, each cell
        # with its box: whole départements, then whole cells, are skipped when out of reach.
        self._boxes: dict[str, _Box] = {}
        self._cells: dict[str, list[tuple[_Box, list[tuple[float, float, float]]]]] = {}
        for department, points in self.department_points.items():
            if not points:
                continue
            grouped: dict[tuple[int, int], list[tuple[float, float]]] = {}
            for point in points:
                cell = (math.floor(point[0] / _CELL_DEG), math.floor(point[1] / _CELL_DEG))
                grouped.setdefault(cell, []).append(point)
            self._boxes[department] = _box(points)
            self._cells[department] = [
                (
                    _box(cell_points),
                    [
                        (math.radians(a), math.radians(b), math.cos(math.radians(a)))
                        for a, b in cell_points
                    ],
                )
                for cell_points in grouped.values()
            ]
        self._reached: dict[tuple[float, float, int], frozenset[str]] = {}

    def departments_within(self, lat: float, lon: float, radius_km: int) -> frozenset[str]:
        """Départements with a commune centre within the radius (haversine, as the search
        engine measures). Answers are kept: structures of one commune share their centre."""
        key = (lat, lon, radius_km)
        if (known := self._reached.get(key)) is not None:
            return known
        limit = radius_km * 1000
        # distance ≤ limit  ⟺  haversine term ≤ sin²(limit / 2R): no arcsine per commune.
        threshold = math.sin(min(limit / (2 * EARTH_RADIUS_M), math.pi / 2)) ** 2
        phi, lam = math.radians(lat), math.radians(lon)
        cos_phi = math.cos(phi)
        sin = math.sin
        reached = set()
        for department, box in self._boxes.items():
            if _beyond((lat, lon), box, limit):
                continue
            for cell_box, points in self._cells[department]:
                if _beyond((lat, lon), cell_box, limit):
                    continue
                if any(
                    sin((p - phi) / 2) ** 2 + cos_phi * c * sin((q - lam) / 2) ** 2 <= threshold
                    for p, q, c in points
                ):
                    reached.add(department)
                    break
        if len(self._reached) >= _REACHED_KEPT:
            self._reached.clear()
        self._reached[key] = frozenset(reached)
        return self._reached[key]


_Box = tuple[float, float, float, float]  # latitude min, max; longitude min, max
_CELL_DEG = 0.25


def _box(points: list[tuple[float, float]]) -> _Box:
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return min(lats), max(lats), min(lons), max(lons)


def _beyond(origin: tuple[float, float], box: _Box, limit_m: float) -> bool:
    """No point of the box can be within `limit_m` of `origin`. The box's point nearest in
    latitude and longitude is within a fraction of a percent of the true nearest at these
    latitudes: a 2 % margin keeps the answer safe."""
    lat_min, lat_max, lon_min, lon_max = box
    nearest = (min(max(origin[0], lat_min), lat_max), min(max(origin[1], lon_min), lon_max))
    return distance_m(origin, nearest) * 0.98 > limit_m


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
        tokens.add(located("commune", structure.commune_code))
    if structure.department_code:
        tokens.add(located("departement", structure.department_code))
    if structure.region_code:
        tokens.add(located("region", structure.region_code))
    return tokens


def activity_places(
    activity: Activity, centre: tuple[float, float] | None, geography: CoverageGeography
) -> set[str]:
    kind = RangeKind(activity.range_kind)
    if kind == RangeKind.COUNTRY:
        return {COUNTRY}
    if kind == RangeKind.ZONES:
        return {zone(z["type"], z["code"]) for z in activity.zones}
    if centre is None or activity.radius_km is None:
        return set()
    departments = geography.departments_within(centre[0], centre[1], activity.radius_km)
    regions = {
        geography.department_region[d] for d in departments if d in geography.department_region
    }
    return {within_radius("departement", d) for d in departments} | {
        within_radius("region", r) for r in regions
    }


def coverage_fields(
    structure: Structure, activities: list[Activity], geography: CoverageGeography
) -> dict[str, Any]:
    centre = centre_of(structure, geography)
    location = location_tokens(structure)
    tokens = {coverage_token(ANY, ANY, place) for place in location}
    radius_tokens: set[str] = set()
    radius_values: set[int] = set()
    for activity in activities:
        places = activity_places(activity, centre, geography) | location | {ANY_PLACE}
        domains = [
            (sector, presta)
            for sector in (activity.sector_slug, ANY)
            for presta in (*activity.presta_types, ANY)
        ]
        tokens |= {coverage_token(s, p, place) for s, p in domains for place in places}
        if RangeKind(activity.range_kind) == RangeKind.RADIUS and activity.radius_km and centre:
            radius_values.add(activity.radius_km)
            radius_tokens |= {radius_token(s, p, activity.radius_km) for s, p in domains}
    return {
        "coverage": sorted(tokens),
        "coverage_radius": sorted(radius_tokens),
        "radius_values": sorted(radius_values),
        "_geo": {"lat": centre[0], "lng": centre[1]} if centre else None,
    }
