"""Favourite lists and saved searches as the pages show them: the API's JSON turned into what a
buyer reads (a search in words, a frequency in French), and the small rules the forms share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from services.domain.kinds import FAMILY_LABELS, KIND_LABELS, PRESTA_TYPE_LABELS
from services.web.api import ApiProblem, FieldProblem

FREQUENCIES: tuple[tuple[str, str], ...] = (
    ("daily", "Quotidienne"),
    ("weekly", "Hebdomadaire"),
    ("none", "Aucune (pas d'e-mail)"),
)
FREQUENCY_LABELS = {
    "daily": "Quotidienne",
    "weekly": "Hebdomadaire",
    "none": "Aucune",
}
# What a page of results adds to a search, not part of what is saved.
NOT_SAVED = frozenset({"page", "per_page", "sort"})
NEW_LIST = "nouvelle"
DEFAULT_LIST_NAME = "Mes favoris"
MAX_RETURN = 2000
_LABELS: dict[str, Mapping[str, str]] = {
    "kind": {k.value: f"{label} ({k.value})" for k, label in KIND_LABELS.items()},
    "family": {f.value: label for f, label in FAMILY_LABELS.items()},
    "presta_type": {p.value: label for p, label in PRESTA_TYPE_LABELS.items()},
    "reservation": {
        "L2113-12": "réservés aux EA, EATT et ESAT (L2113-12)",
        "L2113-13": "réservés aux SIAE (L2113-13)",
    },
}
_TITLES = {
    "kind": "Types",
    "family": "Famille",
    "reservation": "Marchés",
    "department": "Départements",
    "region": "Régions",
    "commune": "Communes (code INSEE)",
    "sector": "Secteurs",
    "sector_group": "Groupes de secteurs",
    "cpv": "Codes CPV",
    "naf": "Codes NAF",
    "presta_type": "Prestations",
    "network": "Réseaux",
    "label": "Labels",
    "headcount": "Effectif en insertion",
    "turnover": "Chiffre d'affaires",
}
_FLAGS = {
    "qpv": "en quartier prioritaire (QPV)",
    "zrr": "en zone de revitalisation rurale (ZRR)",
    "has_offers": "avec des offres publiées",
}


def safe_return(path: str | None, fallback: str = "/listes") -> str:
    """A path of this site to go back to; anything else (another host, a scheme) is dropped."""
    if not path or len(path) > MAX_RETURN:
        return fallback
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    if any(ord(c) < 32 for c in path):
        return fallback
    return path


def last_used(lists: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The list changed most recently: where the quick « add » button puts a structure."""
    return max(lists, key=lambda row: str(row.get("updated_at", "")), default=None)


def search_params(query: str) -> list[tuple[str, str]]:
    """The search's parameters from a query string, without what only shapes a page."""
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in NOT_SAVED]


def query_of(params: Iterable[tuple[str, str]] | Mapping[str, list[str]]) -> str:
    if isinstance(params, Mapping):
        return urlencode([(k, v) for k, values in params.items() for v in values])
    return urlencode(list(params))


def grouped(params: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in params:
        found.setdefault(key, []).append(value)
    return found


def sector_names(reference: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Slug → name of sectors and sector groups, from the API's reference list."""
    names: dict[str, str] = {}
    for group in reference:
        names[str(group.get("slug"))] = str(group.get("name"))
        for sector in group.get("sectors", []) or []:
            names[str(sector.get("slug"))] = str(sector.get("name"))
    return names


def place_names(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Code → « Name (code) » of départements or régions, from the API's reference list."""
    return {str(r.get("code")): f"{r.get('name') or r.get('code')} ({r.get('code')})" for r in rows}


def search_in_words(
    params: Mapping[str, list[str]],
    names: Mapping[str, str],
    places: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """One short French line per criterion of the search (empty: every structure). `names`:
    sectors' names by slug; `places`: for "department" and "region", names by code."""
    lines: list[str] = []
    words = " ".join(params.get("q", [])).strip()
    if words:
        lines.append(f"Mots : « {words} »")
    for key, title in _TITLES.items():
        values = params.get(key)
        if not values:
            continue
        labels = _LABELS.get(key) or (places or {}).get(key) or {}
        shown = [labels.get(v) or names.get(v) or v for v in values]
        lines.append(f"{title} : {', '.join(shown)}")
    lat, lng, radius = params.get("lat"), params.get("lng"), params.get("radius_km")
    if radius:
        around = f" de {lat[0]}, {lng[0]}" if lat and lng else ""
        lines.append(f"À moins de {radius[0]} km{around}")
    for key, text in _FLAGS.items():
        value = (params.get(key) or [""])[0].lower()
        if value in ("true", "1", "oui", "yes", "on"):
            lines.append(f"Seulement {text}")
        elif value in ("false", "0", "non", "no", "off"):
            lines.append(f"Hors {text.removeprefix('en ').removeprefix('avec ')}")
    return lines or ["Toutes les structures (aucun critère)"]


def form_errors(problem: ApiProblem, field: str = "name") -> dict[str, str]:
    """The API's refusal beside the form's fields: a refusal that names no field (a name already
    taken, a cap reached) goes beside `field`."""
    errors = problem.by_field()
    if not errors:
        errors = {field: problem.detail or problem.title}
    return errors


def summary(problem: ApiProblem | None, errors: Mapping[str, str] | None) -> ApiProblem | None:
    """What the summary above a form says: the API's refusal, or the form's own checks."""
    if problem is not None or not errors:
        return problem
    return ApiProblem(
        400,
        "Le formulaire contient des erreurs",
        errors=[FieldProblem(str(field), message) for field, message in errors.items()],
    )


def params_errors(problem: ApiProblem) -> list[str]:
    """The messages about the search's own parameters (the form cannot fix them)."""
    return [e.message for e in problem.errors if e.field.split(".")[0] == "params"]


def clean_name(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
