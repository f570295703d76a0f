"""The « où » of a search: a commune, a département or a région named as people write it (a
name, a postcode, a département number), resolved to the search's place parameter, or the
candidates when the text names several places or none."""

from __future__ import annotations

import csv
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.common.text import fold

CommuneLookup = Callable[[str], Awaitable[list[dict[str, Any]]]]
MAX_CANDIDATES = 8
_DEPARTMENT_LABEL = re.compile(r"^(?P<name>.*?)\s*\(département\s+(?P<code>[0-9AB]{2,3})\)$", re.I)
_REGION_LABEL = re.compile(r"^(?P<name>.*?)\s*\(région\)$", re.I)
_COMMUNE_LABEL = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[0-9AB]{2,3})\)$", re.I)
_DEPARTMENT_CODE = re.compile(r"^(?:[0-9]{2,3}|2[AB])$", re.I)


@dataclass(frozen=True)
class Place:
    """A place the search API takes: `param` is commune, department or region."""

    param: str
    codes: tuple[str, ...]
    label: str


@dataclass
class Resolved:
    place: Place | None = None
    error: str | None = None
    candidates: list[Place] = field(default_factory=list)


@dataclass(frozen=True)
class Territories:
    """Départements and régions by code, from the shared geographic reference files."""

    departments: dict[str, tuple[str, str]]  # code -> (name, région code)
    regions: dict[str, str]  # code -> name

    def department(self, code: str) -> Place:
        return Place("department", (code,), department_label(code, self.departments[code][0]))

    def region(self, code: str) -> Place:
        return Place("region", (code,), f"{self.regions[code]} (région)")

    def matching(self, text: str, limit: int = 3) -> list[Place]:
        """Régions then départements whose name starts with (or contains) the text."""
        wanted = fold(text)
        if not wanted:
            return []
        found: list[tuple[int, Place]] = []
        for code, name in self.regions.items():
            folded = fold(name)
            if wanted in folded:
                found.append((0 if folded.startswith(wanted) else 1, self.region(code)))
        for code, (name, _) in self.departments.items():
            folded = fold(name)
            if wanted in folded or code.lower() == text.strip().lower():
                found.append((0 if folded.startswith(wanted) else 1, self.department(code)))
        found.sort(key=lambda pair: pair[0])
        return [place for _, place in found[:limit]]


def department_label(code: str, name: str) -> str:
    return f"{name} (département {code})"


def commune_place(commune: dict[str, Any]) -> Place:
    return Place("commune", (str(commune["code"]),), f"{commune['name']} ({commune['department']})")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=4)
def territories(data_dir: Path) -> Territories:
    geo = data_dir / "geo"
    return Territories(
        departments={
            r["code_departement"]: (r["nom"], r["code_region"])
            for r in _rows(geo / "departements.csv")
        },
        regions={r["code_region"]: r["nom"] for r in _rows(geo / "regions.csv")},
    )


def _candidates_message(text: str, candidates: list[Place]) -> str:
    names = " ; ".join(c.label for c in candidates[:MAX_CANDIDATES])
    return f"« {text} » désigne plusieurs lieux : précisez lequel ({names})."


async def resolve(text: str, known: Territories, communes: CommuneLookup) -> Resolved:
    """The place a buyer typed. Labels given by the suggestions resolve to exactly one place."""
    typed = " ".join(text.split())
    if not typed:
        return Resolved()
    if match := _DEPARTMENT_LABEL.match(typed):
        code = match["code"].upper()
        if code in known.departments:
            return Resolved(known.department(code))
    if match := _REGION_LABEL.match(typed):
        wanted = fold(match["name"])
        for code, name in known.regions.items():
            if fold(name) == wanted:
                return Resolved(known.region(code))
    if _DEPARTMENT_CODE.match(typed) and typed.upper() in known.departments:
        return Resolved(known.department(typed.upper()))
    if typed.isdigit():
        return await _by_number(typed, communes)
    if len(typed) < 2:
        return Resolved(error="Saisissez au moins deux caractères du nom du lieu.")
    in_department = None
    name = typed
    if match := _COMMUNE_LABEL.match(typed):
        name, in_department = match["name"], match["code"].upper()
    wanted = fold(name)
    found = await communes(name[:80])
    exact = [
        commune_place(c)
        for c in found
        if fold(str(c["name"])) == wanted
        and (in_department is None or str(c["department"]).upper() == in_department)
    ]
    if in_department is None:
        exact += [known.region(code) for code, n in known.regions.items() if fold(n) == wanted]
        exact += [
            known.department(code)
            for code, (n, _) in known.departments.items()
            if fold(n) == wanted
        ]
    if len(exact) == 1:
        return Resolved(exact[0])
    if exact:
        return Resolved(error=_candidates_message(typed, exact), candidates=exact)
    near = known.matching(name) + [commune_place(c) for c in found]
    if near:
        names = " ; ".join(c.label for c in near[:MAX_CANDIDATES])
        return Resolved(
            error=f"Aucun lieu ne s'appelle exactement « {typed} ». Vouliez-vous dire : {names} ?",
            candidates=near[:MAX_CANDIDATES],
        )
    return Resolved(
        error=f"Lieu inconnu : « {typed} ». Indiquez une commune, un code postal, "
        "un numéro de département ou une région."
    )


async def _by_number(typed: str, communes: CommuneLookup) -> Resolved:
    if len(typed) != 5:
        return Resolved(
            error=f"« {typed} » n'est ni un numéro de département, ni un code postal "
            "(5 chiffres), ni un code commune."
        )
    found = await communes(typed)
    by_code = [c for c in found if c["code"] == typed]
    if by_code:
        return Resolved(commune_place(by_code[0]))
    served = [c for c in found if typed in c.get("postcodes", [])]
    if not served:
        return Resolved(error=f"Aucune commune n'a le code postal « {typed} ».")
    if len(served) == 1:
        return Resolved(commune_place(served[0]))
    codes = tuple(str(c["code"]) for c in served)
    return Resolved(Place("commune", codes, typed))
