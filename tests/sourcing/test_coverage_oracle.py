"""Territory coverage checked against a brute-force computation over the real data.

Real structures and communes; a seeded sample of them gets activities of every kind of range
(France entière, radius, zones of communes, départements, régions), so that every rule of
DOMAIN.md is exercised. The oracle below is written independently of the product's tokens.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.catalog.outbox.service import record_structure_changes
from services.catalog.reference.models import Commune, Department, Sector
from services.catalog.structures.models import Activity, RangeKind, Structure
from services.sourcing.app import create_app
from tests.conftest import drain
from tests.support import Meili, load_catalog, sourcing_settings

SEED = 20261124
R = 6_371_008.8


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * R * math.asin(min(1.0, math.sqrt(h))) / 1000


@dataclass
class World:
    engine: Engine
    client: TestClient
    structures: dict[int, Structure]
    activities: dict[int, list[Activity]]
    communes: dict[str, Commune]
    department_region: dict[str, str]
    sectors: list[str]


def _add_activities(session: Session, rng: random.Random) -> None:
    communes = [c for c in session.exec(select(Commune)) if c.latitude is not None]
    departments = [d.code for d in session.exec(select(Department))]
    regions = sorted({d.region_code for d in session.exec(select(Department))})
    sectors = [s.slug for s in session.exec(select(Sector))][:12]  # few, so that domains overlap
    structures = list(session.exec(select(Structure).where(col(Structure.is_active))))
    chosen = rng.sample(structures, 400)
    for structure in chosen:
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["country", "radius", "radius", "zones", "zones", "zones"])
            activity = Activity(
                structure_id=structure.id or 0,
                sector_slug=rng.choice(sectors),
                presta_types=rng.sample(["DISP", "PREST", "BUILD"], rng.randint(1, 2)),
                range_kind=RangeKind(kind),
            )
            if kind == "radius":
                activity.radius_km = rng.choice([5, 10, 20, 30, 50, 100, 250])
            elif kind == "zones":
                zones = []
                for _ in range(rng.randint(1, 4)):
                    level = rng.choice(["commune", "departement", "region"])
                    code = {
                        "commune": lambda: rng.choice(communes).code,
                        "departement": lambda: rng.choice(departments),
                        "region": lambda: rng.choice(regions),
                    }[level]()
                    zones.append({"type": level, "code": code})
                activity.zones = zones
            session.add(activity)
    session.flush()
    record_structure_changes(session, [s.id for s in chosen if s.id is not None])
    session.commit()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, meili: Meili, run_id: str) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("oracle")
    engine = load_catalog(f"sqlite:///{folder / 'catalog.db'}")
    rng = random.Random(SEED)
    with Session(engine) as session:
        _add_activities(session, rng)
    index = f"test_{run_id}_oracle"
    asyncio.run(drain(engine, meili, index))
    with Session(engine) as session:
        structures = {
            s.id: s for s in session.exec(select(Structure).where(col(Structure.is_active))) if s.id
        }
        activities: dict[int, list[Activity]] = {}
        for activity in session.exec(select(Activity)):
            activities.setdefault(activity.structure_id, []).append(activity)
        communes = {c.code: c for c in session.exec(select(Commune))}
        department_region = {d.code: d.region_code for d in session.exec(select(Department))}
        sectors = sorted({a.sector_slug for acts in activities.values() for a in acts})
    settings = sourcing_settings(meili.url, meili.key, index, folder)
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        yield World(engine, client, structures, activities, communes, department_region, sectors)
    engine.dispose()


def _centre(world: World, structure: Structure) -> tuple[float, float] | None:
    commune = world.communes.get(structure.commune_code or "")
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return commune.latitude, commune.longitude
    if structure.latitude is not None and structure.longitude is not None:
        return structure.latitude, structure.longitude
    return None


def _place_points(world: World, level: str, code: str) -> list[tuple[float, float]]:
    if level == "commune":
        c = world.communes[code]
        if c.latitude is None and c.parent_code:  # an arrondissement: its city's centre
            c = world.communes[c.parent_code]
        return (
            [(c.latitude, c.longitude)]
            if c.latitude is not None and c.longitude is not None
            else []
        )
    attribute = "department_code" if level == "departement" else "region_code"
    return [
        (c.latitude, c.longitude)
        for c in world.communes.values()
        if getattr(c, attribute) == code and c.latitude is not None and c.longitude is not None
    ]


def _serves(
    world: World,
    structure: Structure,
    activity: Activity,
    level: str,
    code: str,
    borderline: list[int],
) -> bool:
    if activity.range_kind == RangeKind.COUNTRY:
        return True
    if activity.range_kind == RangeKind.ZONES:
        for zone in activity.zones:
            if level == "commune":
                c = world.communes[code]
                # An arrondissement is served by what serves its city.
                if (zone["type"], zone["code"]) in {
                    ("commune", code),
                    ("commune", c.parent_code),
                    ("departement", c.department_code),
                    ("region", c.region_code),
                }:
                    return True
            elif level == "departement":
                if (zone["type"], zone["code"]) in {
                    ("departement", code),
                    ("region", world.department_region[code]),
                }:
                    return True
            elif (zone["type"], zone["code"]) == ("region", code):
                return True
        return False
    centre = _centre(world, structure)
    points = _place_points(world, level, code)
    if centre is None or not points or activity.radius_km is None:
        return False
    nearest = min(km(centre, p) for p in points)
    if abs(nearest - activity.radius_km) < 0.01:
        borderline.append(structure.id or 0)
    return nearest <= activity.radius_km


def _located(world: World, structure: Structure, level: str, code: str) -> bool:
    field = {"commune": "commune_code", "departement": "department_code", "region": "region_code"}[
        level
    ]
    own = getattr(structure, field)
    if own == code:
        return True
    # Located in an arrondissement of Paris, Lyon or Marseille is located in the city.
    commune = world.communes.get(own or "") if level == "commune" else None
    return commune is not None and commune.parent_code == code


def oracle(
    world: World, level: str, code: str, sector: str | None, presta: str | None
) -> tuple[set[int], list[int]]:
    expected, borderline = set(), []
    for sid, structure in world.structures.items():
        activities = [
            a
            for a in world.activities.get(sid, [])
            if (sector is None or a.sector_slug == sector)
            and (presta is None or presta in a.presta_types)
        ]
        domain = sector is not None or presta is not None
        if domain and not activities:
            continue
        if _located(world, structure, level, code) or any(
            _serves(world, structure, a, level, code, borderline) for a in activities
        ):
            expected.add(sid)
    return expected, borderline


def found(world: World, params: dict[str, Any]) -> tuple[list[int], dict[str, Any]]:
    ids: list[int] = []
    page, first = 1, None
    while True:
        response = world.client.get("/v1/search", params={**params, "per_page": 100, "page": page})
        assert response.status_code == 200, response.text
        body = response.json()
        first = first or body
        ids += [h["id"] for h in body["hits"]]
        if page >= body["total_pages"]:
            break
        page += 1
    assert first is not None and len(ids) == first["total"]
    return ids, first


PARAM = {"commune": "commune", "departement": "department", "region": "region"}


def _cases(world: World) -> list[tuple[str, str, str | None, str | None]]:
    rng = random.Random(SEED + 1)
    located_communes = [s.commune_code for s in world.structures.values() if s.commune_code]
    cases = []
    for _ in range(40):
        level = rng.choice(["commune", "commune", "departement", "region"])
        code = {
            "commune": lambda: rng.choice(located_communes),
            "departement": lambda: rng.choice(sorted(world.department_region)),
            "region": lambda: rng.choice(sorted(set(world.department_region.values()))),
        }[level]()
        sector = rng.choice([None, rng.choice(world.sectors)])
        presta = rng.choice([None, None, "DISP", "PREST", "BUILD"])
        cases.append((level, code, sector, presta))
    # The three cities whose structures are located in their arrondissements, and one of those.
    for city in ("75056", "69123", "13055", "13208"):
        cases += [("commune", city, None, None), ("commune", city, rng.choice(world.sectors), None)]
    return cases


def test_coverage_equals_the_oracle(world: World) -> None:
    checked = 0
    for level, code, sector, presta in _cases(world):
        params: dict[str, Any] = {PARAM[level]: code}
        if sector:
            params["sector"] = sector
        if presta:
            params["presta_type"] = presta
        ids, body = found(world, params)
        expected, borderline = oracle(world, level, code, sector, presta)
        assert len(ids) == len(set(ids))
        difference = set(ids) ^ expected
        assert difference <= set(borderline), (level, code, sector, presta, sorted(difference)[:10])
        # Facet counts over the whole result set equal a brute-force count.
        kinds = Counter(str(world.structures[i].kind) for i in ids)
        assert body["facets"]["kind"] == dict(kinds)
        checked += len(expected)
    assert checked > 1_000  # the cases are not all empty


def test_every_hit_says_why(world: World) -> None:
    sector = world.sectors[0]
    for hit in world.client.get(
        "/v1/search", params={"department": "93", "sector": sector, "per_page": 100}
    ).json()["hits"]:
        assert hit["matched"], hit["id"]
        assert all(
            reason["sector"] == sector for reason in hit["matched"] if reason["kind"] == "activity"
        )


def test_distance_sort_shows_distances(world: World) -> None:
    body = world.client.get(
        "/v1/search", params={"commune": "69123", "sort": "distance", "per_page": 50}
    ).json()
    distances = [h["distance_km"] for h in body["hits"]]
    assert distances and all(d is not None for d in distances)
    assert distances == sorted(distances)


def test_a_city_holds_the_structures_of_its_arrondissements(world: World) -> None:
    """Paris, Lyon, Marseille: the public files locate structures in arrondissements; a buyer
    who names the city finds them, each said to be located there."""
    for city in ("75056", "69123", "13055"):
        pages = 1
        hits: list[dict[str, Any]] = []
        while True:
            body = world.client.get(
                "/v1/search", params={"commune": city, "per_page": 100, "page": pages}
            ).json()
            hits += body["hits"]
            if pages >= body["total_pages"]:
                break
            pages += 1
        located = [
            h
            for h in hits
            if (commune := world.communes.get(h["commune_code"] or "")) is not None
            and commune.parent_code == city
        ]
        # Those with no activity are found only for where they are.
        assert any(not h["activities"] for h in located), city
        for hit in located:
            assert any(r["kind"] in ("located", "activity") for r in hit["matched"]), hit["id"]
