"""A structure's activities as its manager edits them: the form's fields, what the API takes,
what changed when someone else saved first, and the sectors filtered by a few typed words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.common.text import fold
from services.domain.kinds import PRESTA_TYPE_LABELS
from services.web.api import ApiProblem
from services.web.ranges_view import range_errors, range_values, zone_key
from services.web.sectors import SectorCatalogue

PRESTA_TYPES = tuple((p.value, label) for p, label in PRESTA_TYPE_LABELS.items())
FIELD_LABELS = {
    "sector": "Secteur",
    "presta_types": "Types de prestation",
    "range": "Portée géographique",
    "radius_km": "Rayon",
    "zones": "Zones",
}
DONE = {
    "ajoutee": "L'activité est ajoutée.",
    "modifiee": "L'activité est modifiée.",
    "confirmee": "L'activité est confirmée : elle compte désormais comme déclarée.",
    "retiree": "L'activité est retirée.",
}


@dataclass
class ActivityInput:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_activity(form: FormData) -> ActivityInput:
    """Sector and presta types of a posted activity form (the range is read apart)."""
    sector = form.get("sector")
    chosen = [v for v in form.getlist("presta_types") if isinstance(v, str)]
    known = {value for value, _ in PRESTA_TYPES}
    typed = ActivityInput(
        values={
            "sector": sector.strip() if isinstance(sector, str) else "",
            "presta_types": [v for v in dict.fromkeys(chosen) if v in known],
            "secteur_filtre": _text(form, "secteur_filtre")[:100],
            "loaded": _text(form, "loaded")[:20000],
            "version": _text(form, "version")[:12],
        }
    )
    if not typed.values["sector"]:
        typed.errors["sector"] = "Choisissez le secteur de cette activité."
    if not typed.values["presta_types"]:
        typed.errors["presta_types"] = "Cochez au moins un type de prestation."
    return typed


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def activity_values(activity: dict[str, Any] | None) -> dict[str, Any]:
    """The form's fields from an activity as the API gives it (empty for a new one)."""
    if activity is None:
        return {"sector": "", "presta_types": [], "secteur_filtre": "", **range_values(None)}
    return {
        "sector": activity["sector"],
        "presta_types": list(activity["presta_types"]),
        "secteur_filtre": "",
        **range_values(activity),
        "loaded": loaded_state(activity),
        "version": str(activity["version"]),
    }


def loaded_state(activity: dict[str, Any]) -> str:
    """The activity as the form loaded it, sent back with the form: what changed meanwhile
    is told against it when someone else saved first."""
    return json.dumps(
        {
            "sector": activity["sector"],
            "presta_types": sorted(activity["presta_types"]),
            "range": activity["range"],
            "radius_km": activity.get("radius_km"),
            "zones": sorted(zone_key(z) for z in activity.get("zones") or []),
        },
        ensure_ascii=False,
    )


def changes_since(
    loaded: str,
    current: dict[str, Any],
    sectors: SectorCatalogue,
    zone_names: dict[str, str],
) -> list[tuple[str, str, str]]:
    """(field, as loaded, as now saved) for each field someone else changed."""
    try:
        before: dict[str, Any] = json.loads(loaded) if loaded else {}
    except ValueError:
        before = {}
    if not isinstance(before, dict) or not before:
        return []
    now = json.loads(loaded_state(current))
    presta = dict(PRESTA_TYPES)
    ranges = {"country": "France entière", "radius": "Rayon", "zones": "Zones"}

    def shown(name: str, value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if name == "sector":
            return sectors.names.get(str(value), str(value))
        if name == "presta_types":
            return ", ".join(presta.get(v, v) for v in value)
        if name == "range":
            return ranges.get(str(value), str(value))
        if name == "radius_km":
            return f"{value} km"
        return ", ".join(zone_names.get(v, v) for v in value)

    return [
        (FIELD_LABELS[name], shown(name, before.get(name)), shown(name, now.get(name)))
        for name in FIELD_LABELS
        if before.get(name) != now.get(name)
    ]


def activity_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's refusals, on the form's fields (anything else above the form)."""
    found = range_errors(problem)
    for error in problem.errors:
        name = error.field.split("/")[0].split(".")[0]
        if name in ("sector", "presta_types"):
            found.setdefault(name, error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


def filtered_groups(sectors: SectorCatalogue, words: str, keep: str = "") -> list[dict[str, Any]]:
    """The sectors whose name holds every typed word — or, when none does, those of the groups
    whose name holds them —, by group; the sector already chosen always stays."""
    wanted = fold(words).split()
    if not wanted:
        return sectors.rows

    def kept_by(name_of: Any) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        for group in sectors.rows:
            kept = [
                s
                for s in group["sectors"]
                if s["slug"] == keep or all(w in fold(name_of(group, s)) for w in wanted)
            ]
            if kept:
                groups.append({**group, "sectors": kept})
        return groups

    by_sector = kept_by(lambda _g, s: str(s["name"]))
    if any(s["slug"] != keep for g in by_sector for s in g["sectors"]):
        return by_sector
    return kept_by(lambda g, _s: str(g["name"]))


def presta_labels(codes: list[str]) -> str:
    presta = dict(PRESTA_TYPES)
    return ", ".join(presta.get(c, c) for c in codes)
