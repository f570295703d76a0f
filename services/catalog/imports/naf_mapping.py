"""The curated NAF → purchasing-sector mapping (data/mappings/naf_secteurs.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

MAPPING_PATH = "mappings/naf_secteurs.csv"


@dataclass(frozen=True)
class NafSectors:
    sectors: tuple[str, ...]
    presta_types: tuple[str, ...]


@dataclass(frozen=True)
class NafMapping:
    mapped: dict[str, NafSectors]
    unmapped: dict[str, str]  # code -> why no sector is inferred

    def covers(self, code: str) -> bool:
        return code in self.mapped or code in self.unmapped


def load_naf_mapping(data_dir: Path) -> NafMapping:
    mapped: dict[str, NafSectors] = {}
    unmapped: dict[str, str] = {}
    with (data_dir / MAPPING_PATH).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["code_ape"].strip().upper()
            slugs = tuple(s for s in row["secteur_slugs"].split("|") if s)
            if slugs:
                presta = tuple(p for p in row["presta_types"].split("|") if p)
                mapped[code] = NafSectors(slugs, presta)
            else:
                unmapped[code] = row["raison_non_rattache"]
    return NafMapping(mapped, unmapped)
