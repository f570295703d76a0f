"""The reference lists the historical API serves from the gateway's own data: perimeters
(communes, departments, regions) and its sector taxonomy, read once at start-up."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.text import fold, slugify

_PUBLIC = (
    "id",
    "name",
    "slug",
    "kind",
    "insee_code",
    "post_codes",
    "department_code",
    "region_code",
)


@dataclass(frozen=True)
class Perimeter:
    id: str
    name: str
    slug: str
    kind: str
    insee_code: str
    post_codes: list[str]
    department_code: str | None
    region_code: str | None
    population: int = 0
    # The name as autocompletion compares it, folded once at start-up.
    folded: str = field(default="", compare=False)

    def public(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PUBLIC}


def _population(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_perimeters(data_dir: Path) -> list[Perimeter]:
    found = [
        Perimeter(
            f"region-{r['code_region']}",
            r["nom"],
            f"{slugify(r['nom'])}-region",
            "REGION",
            r["code_region"],
            [],
            None,
            r["code_region"],
            _population(r.get("population")),
            fold(r["nom"]),
        )
        for r in _rows(data_dir / "geo/regions.csv")
    ]
    found += [
        Perimeter(
            f"departement-{d['code_departement']}",
            d["nom"],
            slugify(d["nom"]),
            "DEPARTMENT",
            d["code_departement"],
            [],
            d["code_departement"],
            d["code_region"],
            _population(d.get("population")),
            fold(d["nom"]),
        )
        for d in _rows(data_dir / "geo/departements.csv")
    ]
    found += [
        Perimeter(
            f"commune-{c['code_insee']}",
            c["nom"],
            f"{slugify(c['nom'])}-{c['code_departement'].lower()}",
            "CITY",
            c["code_insee"],
            [p for p in c["codes_postaux"].split("|") if p],
            c["code_departement"],
            c["code_region"],
            _population(c.get("population")),
            fold(c["nom"]),
        )
        for c in _rows(data_dir / "geo/communes.csv")
        if c["type"] == "COM"
    ]
    return found


def load_legacy_sectors(data_dir: Path) -> list[dict[str, str]]:
    return _rows(data_dir / "taxonomies/marche_secteurs.csv")
