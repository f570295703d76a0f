"""What a search may name (places, sectors, CPV and NAF codes), read once from the shipped data."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


@dataclass(frozen=True)
class CommunePlace:
    code: str
    name: str
    department: str
    region: str
    centre: tuple[float, float] | None
    postcodes: tuple[str, ...] = ()
    population: int = 0
    parent: str | None = None  # the commune of a municipal arrondissement (Paris, Lyon, Marseille)


@dataclass(frozen=True)
class SearchVocabulary:
    communes: dict[str, CommunePlace]
    departments: dict[str, str]  # code -> region
    department_seats: dict[str, str]  # code -> chef-lieu commune
    regions: dict[str, str]  # code -> chef-lieu commune
    sectors: frozenset[str]
    groups: dict[str, frozenset[str]]  # group slug -> its sectors
    cpv: dict[str, tuple[str, ...]]  # 8-digit code -> sectors (empty: explicitly none)
    cpv_labels: dict[str, str]
    naf_codes: frozenset[str]
    sector_rows: tuple[dict[str, str], ...] = ()
    department_names: dict[str, str] | None = None
    region_names: dict[str, str] | None = None

    @property
    def sector_groups(self) -> frozenset[str]:
        return frozenset(self.groups)

    @classmethod
    def load(cls, data_dir: Path) -> SearchVocabulary:
        rows = list(_rows(data_dir / "geo/communes.csv"))
        centres = {
            r["code_insee"]: (float(r["lat"]), float(r["lon"]))
            for r in rows
            if r["lat"] and r["lon"]
        }
        communes = {}
        for r in rows:
            parent = r["code_commune_parent"] or None
            code = r["code_insee"]
            communes[code] = CommunePlace(
                code,
                r["nom"],
                r["code_departement"],
                r["code_region"],
                # An arrondissement has no centre of its own in the data: its commune's.
                centres.get(code) or centres.get(parent or ""),
                tuple(p for p in r["codes_postaux"].split("|") if p),
                int(r["population"] or 0),
                parent,
            )
        departments, seats = {}, {}
        for r in _rows(data_dir / "geo/departements.csv"):
            departments[r["code_departement"]] = r["code_region"]
            seats[r["code_departement"]] = r["chef_lieu"]
        regions = {r["code_region"]: r["chef_lieu"] for r in _rows(data_dir / "geo/regions.csv")}
        groups: dict[str, set[str]] = {}
        sectors = set()
        sector_rows = tuple(_rows(data_dir / "taxonomies/marche_secteurs.csv"))
        for r in sector_rows:
            sectors.add(r["secteur_slug"])
            groups.setdefault(r["groupe_slug"], set()).add(r["secteur_slug"])
        cpv: dict[str, tuple[str, ...]] = {}
        mapping = data_dir / "mappings/cpv_secteurs.csv"
        if mapping.exists():
            for r in _rows(mapping):
                cpv[r["code_cpv"]] = tuple(s for s in r["secteur_slugs"].split("|") if s)
        return cls(
            communes=communes,
            departments=departments,
            department_seats=seats,
            regions=regions,
            sectors=frozenset(sectors),
            groups={g: frozenset(s) for g, s in groups.items()},
            cpv=cpv,
            cpv_labels={
                r["code"]: r["libelle_fr"] for r in _rows(data_dir / "taxonomies/cpv_2008.csv")
            },
            naf_codes=frozenset(
                r["code_ape"] for r in _rows(data_dir / "taxonomies/naf_rev2_sous_classes.csv")
            ),
            sector_rows=sector_rows,
            department_names={
                r["code_departement"]: r["nom"] for r in _rows(data_dir / "geo/departements.csv")
            },
            region_names={r["code_region"]: r["nom"] for r in _rows(data_dir / "geo/regions.csv")},
        )

    def cpv_sectors(self, code: str) -> tuple[str, tuple[str, ...]] | None:
        """The most specific mapped CPV row for a code (CPV is hierarchical by prefix):
        the row's code and its sectors, or None when no ancestor is mapped."""
        digits = code[:8]
        for significant in range(8, 1, -1):
            candidate = digits[:significant].ljust(8, "0")
            if candidate in self.cpv:
                return candidate, self.cpv[candidate]
        return None

    @cached_property
    def area_centres(self) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """The commune centres of each département and région, keyed by (level, code)."""
        found: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for commune in self.communes.values():
            if commune.centre:
                found.setdefault(("departement", commune.department), []).append(commune.centre)
                found.setdefault(("region", commune.region), []).append(commune.centre)
        return found

    @cached_property
    def arrondissements(self) -> dict[str, frozenset[str]]:
        """Paris, Lyon and Marseille: the codes of their municipal arrondissements, where the
        public files locate their structures."""
        found: dict[str, set[str]] = {}
        for commune in self.communes.values():
            if commune.parent:
                found.setdefault(commune.parent, set()).add(commune.code)
        return {parent: frozenset(codes) for parent, codes in found.items()}

    @cached_property
    def nearest_known(self) -> dict[tuple[tuple[float, float], str, str], float | None]:
        """Distances already measured from a point to an area's nearest commune centre."""
        return {}

    def centre_of_department(self, code: str) -> tuple[float, float] | None:
        seat = self.communes.get(self.department_seats.get(code, ""))
        return seat.centre if seat else None

    def centre_of_region(self, code: str) -> tuple[float, float] | None:
        seat = self.communes.get(self.regions.get(code, ""))
        return seat.centre if seat else None
