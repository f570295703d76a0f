"""The geographic range of an activity (or where an offer is delivered), as a manager edits it:
France entière, a radius in km around the structure, or zones — communes, départements, régions —
picked from suggestions or typed as « 93, Lyon, Occitanie » and resolved here."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.web.api import ApiProblem
from services.web.places import Territories, territories
from services.web.search_places import resolve
from services.web.visitor import Visitor

MAX_RADIUS_KM = 1000
MAX_ZONES = 500
RANGES = (
    ("country", "France entière"),
    ("radius", "Dans un rayon autour de la structure"),
    ("zones", "Dans des zones choisies (communes, départements, régions)"),
)
# Where an offer is delivered may also be « as its activity says ».
INHERIT = "inherit"
# The search's place parameters, as the catalog names zone types.
ZONE_TYPES = {"commune": "commune", "department": "departement", "region": "region"}
ZONE_TYPE_LABELS = {"commune": "Commune", "departement": "Département", "region": "Région"}
_ZONE_KEY = re.compile(r"^(commune|departement|region):([0-9AB]{2,5})$", re.I)


@dataclass
class RangeInput:
    """The range part of a posted form: what was typed, the range the API takes, the errors."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def zone_key(zone: dict[str, Any]) -> str:
    return f"{zone['type']}:{zone['code']}"


def zone_of(key: str) -> dict[str, str] | None:
    found = _ZONE_KEY.match(key.strip())
    if found is None:
        return None
    return {"type": found[1].lower(), "code": found[2].upper()}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


async def communes(visitor: Visitor, text: str) -> list[dict[str, Any]]:
    """The communes' reference, searched by name, postcode or INSEE code."""
    if len(text.strip()) < 2:
        return []
    found: list[dict[str, Any]] = await visitor.state.api.get(
        "/reference/communes", params={"q": text.strip()[:80]}, client_ip=visitor.client_ip
    )
    return found


@dataclass
class ResolvedPlaces:
    keys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


async def resolve_places(
    visitor: Visitor, texts: Iterable[str], known: Territories
) -> ResolvedPlaces:
    """The zone keys of the places named (each part of « 93, Lyon, Occitanie »), and a message
    for each part that names no place or several."""
    resolved = ResolvedPlaces()
    for text in texts:
        for part in re.split(r"[,;]", text):
            typed = " ".join(part.split())
            if not typed:
                continue
            found = await resolve(typed, known, lambda t: communes(visitor, t))
            if found.place is None:
                message = found.error or "lieu inconnu."
                if f"« {typed} »" not in message:
                    message = f"« {typed} » : {message}"
                resolved.problems.append(message)
                resolved.unresolved.append(typed)
                continue
            kind = ZONE_TYPES[found.place.param]
            resolved.keys.extend(f"{kind}:{code}" for code in found.place.codes)
    return resolved


def read_range(form: FormData, allow_inherit: bool = False) -> RangeInput:
    """What the range fields hold (before the typed places are resolved)."""
    chosen = _text(form, "range")
    removed = _text(form, "retirer_zone")
    zones = list(dict.fromkeys(k for k in _texts(form, "zones") if zone_of(k) and k != removed))
    typed = RangeInput(
        values={
            "range": chosen,
            "radius_km": _text(form, "radius_km"),
            "zones": zones,
            "ou": _text(form, "ou")[:500],
            "lieux": _texts(form, "lieux")[:MAX_ZONES],
        }
    )
    allowed = [value for value, _ in RANGES] + ([INHERIT] if allow_inherit else [])
    if chosen not in allowed:
        typed.errors["range"] = "Choisissez où vous intervenez."
    return typed


async def complete_range(
    visitor: Visitor, typed: RangeInput, adding_zones: bool = False
) -> RangeInput:
    """Resolves the places typed or picked into zones (when zones are chosen, or asked for),
    checks the radius, builds the body the API takes."""
    values = typed.values
    chosen = values["range"]
    if chosen == "zones" or adding_zones:
        known = await territories(visitor.state.api, visitor.client_ip)
        found = await resolve_places(visitor, [values["ou"], *values["lieux"]], known)
        values["zones"] = list(dict.fromkeys([*values["zones"], *found.keys]))
        values["lieux"] = []
        # What could not be read stays typed, beside its message; the rest became tags.
        values["ou"] = ", ".join(found.unresolved)
        if found.problems:
            typed.errors["zones"] = "Zones non reconnues — " + " ".join(found.problems)
    if chosen == "radius":
        radius = values["radius_km"]
        if not radius.isdigit() or not 1 <= int(radius) <= MAX_RADIUS_KM:
            typed.errors["radius_km"] = (
                f"Indiquez un rayon en kilomètres, nombre entier de 1 à {MAX_RADIUS_KM}."
            )
    if chosen == "zones" and not values["zones"] and "zones" not in typed.errors:
        typed.errors["zones"] = (
            "Ajoutez au moins une zone : une commune, un département ou une région."
        )
    if len(values["zones"]) > MAX_ZONES:
        typed.errors["zones"] = f"{MAX_ZONES} zones au plus."
    if typed.errors:
        return typed
    if chosen == "country":
        typed.body = {"range": "country"}
    elif chosen == "radius":
        typed.body = {"range": "radius", "radius_km": int(values["radius_km"])}
    elif chosen == "zones":
        typed.body = {
            "range": "zones",
            "zones": [z for z in (zone_of(k) for k in values["zones"]) if z is not None],
        }
    return typed


def range_values(item: dict[str, Any] | None) -> dict[str, Any]:
    """The form's range fields from an activity (or a delivery zone) as the API gives it."""
    if not item:
        return {"range": "", "radius_km": "", "zones": [], "ou": "", "lieux": []}
    radius = item.get("radius_km")
    return {
        "range": str(item.get("range") or ""),
        "radius_km": "" if radius is None else str(radius),
        "zones": [zone_key(z) for z in item.get("zones") or []],
        "ou": "",
        "lieux": [],
    }


async def zone_labels(visitor: Visitor, keys: Iterable[str]) -> dict[str, str]:
    """« Seine-Saint-Denis (93) », « Région Occitanie », « Lyon (69) » for each zone key."""
    wanted = list(dict.fromkeys(keys))
    known = await territories(visitor.state.api, visitor.client_ip)
    labels: dict[str, str] = {}
    commune_codes: list[str] = []
    for key in wanted:
        zone = zone_of(key)
        if zone is None:
            continue
        if zone["type"] == "departement":
            labels[key] = known.department_label(zone["code"])
        elif zone["type"] == "region":
            labels[key] = known.region_label(zone["code"])
        else:
            commune_codes.append(zone["code"])

    async def commune_name(code: str) -> tuple[str, str]:
        try:
            found = await communes(visitor, code)
        except ApiProblem:
            found = []
        match = next((c for c in found if c.get("code") == code), None)
        if match is None:
            return code, f"Commune {code}"
        return code, f"{match['name']} ({match.get('department', '')})"

    for code, label in await asyncio.gather(*(commune_name(c) for c in commune_codes[:100])):
        labels[f"commune:{code}"] = label
    for code in commune_codes[100:]:
        labels[f"commune:{code}"] = f"Commune {code}"
    return labels


def range_summary(item: dict[str, Any] | None, labels: dict[str, str], city: str = "") -> str:
    """One line users read: « France entière », « 30 km autour de Lyon », « Seine-Saint-Denis
    (93), Lyon (69) »."""
    if not item:
        return "Comme l'activité du même secteur"
    kind = item.get("range")
    if kind == "country":
        return "France entière"
    if kind == "radius":
        around = f" autour de {city}" if city else " autour de la structure"
        return f"{item.get('radius_km')} km{around}"
    names = [labels.get(zone_key(z), zone_key(z)) for z in item.get("zones") or []]
    return ", ".join(names) or "Aucune zone"


def range_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's refusals of a range, on the form's fields."""
    found: dict[str, str] = {}
    for error in problem.errors:
        parts = re.split(r"[./]", error.field)
        name = next((p for p in reversed(parts) if p in ("range", "radius_km", "zones")), None)
        if name is None and "zones" in parts:
            name = "zones"
        if name:
            found.setdefault(name, error.message)
    return found
