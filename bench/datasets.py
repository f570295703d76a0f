"""The catalogs the benchmark runs on: the real public data, or synthetic structures placed on
real communes with a realistic spread of kinds, sectors and ranges. Seeded: the same scale and
seed give the same catalog, row for row."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, func, select

from services.catalog.reference.loader import load_reference_data
from services.catalog.reference.models import Commune, Sector
from services.catalog.structures.models import Activity, RangeKind, Structure
from services.catalog.structures.service import ZRR_CLASSED
from services.common.db import make_engine
from services.domain.kinds import Kind, PrestaType, family_of
from tests.support import DATA, load_catalog, migrate

# National spread of the inclusive offer by kind (order of magnitude of the public registers).
KIND_WEIGHTS = {
    Kind.ACI: 30,
    Kind.ESAT: 25,
    Kind.EI: 17,
    Kind.AI: 11,
    Kind.EA: 8,
    Kind.ETTI: 5,
    Kind.GEIQ: 3,
    Kind.EITI: 0.5,
    Kind.EATT: 0.3,
    Kind.SEP: 0.2,
}
# How far an activity reaches: mostly a département or a radius, some nationwide.
RANGE_WEIGHTS = {"country": 8, "departement": 30, "region": 12, "commune": 8, "radius": 42}
RADII_KM = (5, 10, 20, 30, 50, 100, 200)
ACTIVITIES_PER_STRUCTURE = (1, 7)  # uniform: four on average
BATCH = 5_000


@dataclass
class Dataset:
    name: str
    url: str
    structures: int
    activities: int
    import_s: float

    @property
    def engine(self) -> Engine:
        return make_engine(self.url)


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        structures = session.exec(
            select(func.count()).select_from(Structure).where(col(Structure.is_active))
        ).one()
        activities = session.exec(select(func.count()).select_from(Activity)).one()
    engine.dispose()
    return structures, activities


def real_catalog(folder: Path) -> Dataset:
    """The real SIAE and ESAT files, imported as `make run` does."""
    url = f"sqlite:///{folder / 'catalog.db'}"
    started = time.perf_counter()
    load_catalog(url).dispose()
    elapsed = time.perf_counter() - started
    structures, activities = counts(url)
    return Dataset("reel", url, structures, activities, elapsed)


def _siret(rng: random.Random) -> str:
    """Fourteen digits passing the Luhn check, as a real SIRET does."""
    digits = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        total = 0
        for position, digit in enumerate([*digits, check]):
            doubled = digit * 2 if position % 2 == 0 else digit
            total += doubled - 9 if doubled > 9 else doubled
        if total % 10 == 0:
            return "".join(map(str, digits)) + str(check)
    raise AssertionError("unreachable")


def synthetic_catalog(folder: Path, activities: int, seed: int = 20261125) -> Dataset:
    """`activities` activities spread over structures of 1 to 7 activities each."""
    url = f"sqlite:///{folder / 'catalog.db'}"
    started = time.perf_counter()
    migrate(url, "catalog")
    engine = make_engine(url)
    rng = random.Random(seed)
    with Session(engine) as session:
        load_reference_data(session, DATA)
        session.commit()
        communes = [
            c
            for c in session.exec(select(Commune).where(col(Commune.latitude).is_not(None)))
            if c.population
        ]
        sectors = [s.slug for s in session.exec(select(Sector).order_by(col(Sector.id)))]
    # Structures settle where people live; a few sectors are far more common than the rest.
    commune_weights = list(accumulate(c.population or 1 for c in communes))
    sector_weights = list(accumulate(1 / (rank + 1) for rank in range(len(sectors))))
    rng.shuffle(sectors)
    kinds, kind_weights = list(KIND_WEIGHTS), list(accumulate(KIND_WEIGHTS.values()))
    ranges, range_weights = list(RANGE_WEIGHTS), list(accumulate(RANGE_WEIGHTS.values()))
    presta = [p.value for p in PrestaType]
    now = datetime.now(UTC)
    structure_rows: list[dict[str, object]] = []
    activity_rows: list[dict[str, object]] = []
    made = structure_id = 0
    with engine.begin() as connection:
        while made < activities:
            structure_id += 1
            commune = rng.choices(communes, cum_weights=commune_weights)[0]
            kind = rng.choices(kinds, cum_weights=kind_weights)[0]
            siret = _siret(rng)
            structure_rows.append(
                {
                    "id": structure_id,
                    "kind": kind.value,
                    "family": family_of(kind).value,
                    "siret": siret,
                    "siren": siret[:9],
                    "name": f"{kind.value} {commune.name} {structure_id}",
                    "postcode": (commune.postcodes or [None])[0],
                    "city": commune.name,
                    "commune_code": commune.code,
                    "department_code": commune.department_code,
                    "region_code": commune.region_code,
                    "latitude": commune.latitude,
                    "longitude": commune.longitude,
                    "coordinates_source": "commune",
                    "is_qpv": commune.qpv_count > 0,
                    "is_zrr": commune.zrr_status in ZRR_CLASSED,
                    "headcount_insertion": rng.randrange(1, 300),
                    "networks": [],
                    "labels": [],
                    "client_references": [],
                    "import_key": f"bench:{structure_id}",
                    "source": "bench",
                    "is_active": True,
                    "field_sources": {},
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            low, high = ACTIVITIES_PER_STRUCTURE
            for _ in range(min(rng.randint(low, high), activities - made)):
                made += 1
                reach = rng.choices(ranges, cum_weights=range_weights)[0]
                zone_code = {
                    "departement": commune.department_code,
                    "region": commune.region_code,
                    "commune": commune.code,
                }.get(reach)
                activity_rows.append(
                    {
                        "structure_id": structure_id,
                        "sector_slug": rng.choices(sectors, cum_weights=sector_weights)[0],
                        "presta_types": rng.sample(presta, rng.randint(1, 2)),
                        "range_kind": (
                            RangeKind.COUNTRY
                            if reach == "country"
                            else RangeKind.RADIUS
                            if reach == "radius"
                            else RangeKind.ZONES
                        ).value,
                        "radius_km": rng.choice(RADII_KM) if reach == "radius" else None,
                        "zones": [{"type": reach, "code": zone_code}] if zone_code else [],
                        "inferred": False,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if len(activity_rows) >= BATCH:
                connection.execute(insert(Structure), structure_rows)
                connection.execute(insert(Activity), activity_rows)
                structure_rows, activity_rows = [], []
        if structure_rows:
            connection.execute(insert(Structure), structure_rows)
            connection.execute(insert(Activity), activity_rows)
    engine.dispose()
    elapsed = time.perf_counter() - started
    return Dataset(f"{activities}", url, structure_id, made, elapsed)
