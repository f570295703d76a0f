"""The codes a search may name (places, sectors), read once from the shipped reference data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


def _column(path: Path, name: str) -> frozenset[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(row[name] for row in csv.DictReader(handle))


@dataclass(frozen=True)
class SearchVocabulary:
    departments: frozenset[str]
    regions: frozenset[str]
    communes: frozenset[str]
    sectors: frozenset[str]
    sector_groups: frozenset[str]

    @classmethod
    def load(cls, data_dir: Path) -> SearchVocabulary:
        taxonomy = data_dir / "taxonomies/marche_secteurs.csv"
        return cls(
            departments=_column(data_dir / "geo/departements.csv", "code_departement"),
            regions=_column(data_dir / "geo/regions.csv", "code_region"),
            communes=_column(data_dir / "geo/communes.csv", "code_insee"),
            sectors=_column(taxonomy, "secteur_slug"),
            sector_groups=_column(taxonomy, "groupe_slug"),
        )
