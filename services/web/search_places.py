"""The « où » of a search: a commune, a département or a région named as people write it (a
name, a postcode, a département number), resolved to the search's place parameter, or the
candidates when the text names several places or none."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.common.text import fold
from services.web.places import Territories

CommuneLookup = Callable[[str], Awaitable[list[dict[str, Any]]]]
MAX_CANDIDATES = 8
_DEPARTMENT_LABEL = re.compile(r"^(?P<name>.*?)\s*\(département\s+(?P<code>[0-9AB]{2,3})\)$", re.I)
_REGION_LABEL = re.compile(r"^(?P<name>.*?)\s*\(région\)$", re.I)
_COMMUNE_LABEL = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[0-9AB]{2,3})\)$", re.I)
_DEPARTMENT_CODE = re.compile(r"^(?:[0-9]{2,3}|2[AB])$", re.I)


@dataclass(frozen=True)
class Place:
    """A place the search API takes: `param` is commune, department or region; a commune's
    centre, when known, is where a radius is counted from."""

    param: str
    codes: tuple[str, ...]
    label: str
    centre: tuple[float, float] | None = None


@dataclass
class Resolved:
    place: Place | None = None
    error: str | None = None
    candidates: list[Place] = field(default_factory=list)


def department_place(known: Territories, code: str) -> Place:
    name = known.department_name(code) or code
    return Place("department", (code,), f"{name} (département {code})")


def region_place(known: Territories, code: str) -> Place:
    return Place("region", (code,), f"{known.regions.get(code, code)} (région)")


def commune_place(commune: dict[str, Any]) -> Place:
    lat, lng = commune.get("lat"), commune.get("lng")
    centre = (float(lat), float(lng)) if lat is not None and lng is not None else None
    return Place(
        "commune",
        (str(commune["code"]),),
        f"{commune['name']} ({commune['department']})",
        centre,
    )


def matching_places(known: Territories, text: str) -> list[Place]:
    """Régions and départements whose name starts with (or contains) the text."""
    return [
        region_place(known, code) if kind == "region" else department_place(known, code)
        for kind, code in known.matching(text)
    ]


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
            return Resolved(department_place(known, code))
    if match := _REGION_LABEL.match(typed):
        for code in known.region_named(match["name"]):
            return Resolved(region_place(known, code))
    # A département number is taken as such; when the list could not be read, the API judges it.
    if _DEPARTMENT_CODE.match(typed) and (
        typed.upper() in known.departments or not known.departments
    ):
        return Resolved(department_place(known, typed.upper()))
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
        exact += [region_place(known, code) for code in known.region_named(name)]
        exact += [department_place(known, code) for code in known.department_named(name)]
    if len(exact) == 1:
        return Resolved(exact[0])
    if exact:
        return Resolved(error=_candidates_message(typed, exact), candidates=exact)
    near = matching_places(known, name) + [commune_place(c) for c in found]
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
    # A radius around a postcode is counted from its most populous commune's centre.
    return Resolved(Place("commune", codes, typed, commune_place(served[0]).centre))
