"""Needs as the pages show them: the deposit's five steps (what each one asks and how a form
becomes the API's change), a buyer's needs by status, matches with their score parts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.domain.kinds import KIND_LABELS, PRESTA_TYPE_LABELS
from services.domain.reservations import BOTH, RESERVATION_LABELS
from services.web.api import ApiProblem, FieldProblem
from services.web.places import Territories

STEPS = (
    (1, "Informations générales"),
    (2, "Montant et calendrier"),
    (3, "Territoire et domaine"),
    (4, "Questions aux fournisseurs"),
    (5, "Vérification et publication"),
)
LAST_STEP = len(STEPS)

NEED_KINDS = (
    ("appel_offres", "Appel d'offres"),
    ("demande_devis", "Demande de devis"),
    ("projet_achat", "Projet d'achat"),
)
STATUSES = (
    ("draft", "Brouillons", "Brouillon", "new"),
    ("moderation", "En modération", "En modération", "info"),
    ("published", "Publiés", "Publié", "success"),
    ("closed", "Clos", "Clos", "warning"),
    ("cancelled", "Annulés", "Annulé", "error"),
)
STATUS_LABELS = {code: label for code, _, label, _ in STATUSES}
STATUS_BADGES = {code: badge for code, _, _, badge in STATUSES}
PLACE_LEVELS = (("commune", "Commune"), ("departement", "Département"), ("region", "Région"))
PRESTA_TYPES = tuple((p.value, label) for p, label in PRESTA_TYPE_LABELS.items())
KINDS = tuple((k.value, f"{k.value} — {label}") for k, label in KIND_LABELS.items())
RESERVATIONS = (
    ("", "Pas de réservation"),
    *((r.value, f"{r.value} : {label}") for r, label in RESERVATION_LABELS.items()),
    (BOTH, "Réservé aux deux familles (L2113-12 et L2113-13)"),
)
MAX_QUESTIONS = 10

# What each part of a match's score measures, and its maximum (the matching's weights).
SCORE_PARTS = (
    (
        "domain",
        "Domaine",
        40,
        "une activité déclarée couvre les secteurs du besoin "
        "(moins quand elle est déduite du code NAF)",
    ),
    ("distance", "Proximité", 25, "la structure est située dans le lieu du besoin ou près de lui"),
    ("profile", "Fiche", 20, "la fiche est complète : description, site, effectifs, offres…"),
    ("responsiveness", "Réactivité", 15, "la part des besoins reçus auxquels elle a répondu"),
)
ANSWER_LABELS = {
    "interested": ("Intéressée", "success"),
    "not_interested": ("Pas intéressée", "error"),
    "groupement": ("Groupement", "info"),
}

# The fields each step edits (the API's names), to place the API's messages on the right step.
STEP_FIELDS: dict[int, tuple[str, ...]] = {
    1: ("kind", "title", "description", "sectors"),
    2: ("amount_min_eur", "amount_max_eur", "deadline"),
    3: ("place", "sectors", "cpv_codes", "presta_types", "kinds", "reservation"),
    4: ("questions",),
}


@dataclass
class StepForm:
    """A step's form as typed: values to show again, the API change it makes, its errors."""

    values: dict[str, Any]
    change: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _amount(text: str) -> int | str | None:
    """Euros as people type them (« 50 000 », « 50000,00 »); the text itself when unreadable."""
    if not text:
        return None
    plain = re.sub(r"[\s\u202f\u00a0€]", "", text).replace(",00", "").replace(".00", "")
    return int(plain) if plain.isdigit() else text


def read_step(step: int, form: FormData) -> StepForm:
    """The step's form turned into the API's fields; what the browser cannot check (numbers,
    dates), the API checks and names."""
    values: dict[str, Any]
    if step == 1:
        values = {n: _text(form, n) for n in ("kind", "title", "description", "sector")}
        change: dict[str, Any] = {
            "kind": values["kind"] or None,
            "title": values["title"],
            "description": values["description"],
        }
        return StepForm(values, change)
    if step == 2:
        values = {n: _text(form, n) for n in ("amount_min_eur", "amount_max_eur", "deadline")}
        errors: dict[str, str] = {}
        change = {}
        for name in ("amount_min_eur", "amount_max_eur"):
            amount = _amount(values[name])
            if isinstance(amount, str):
                errors[name] = "indiquez un montant en euros, en chiffres (ex. 50 000)"
            else:
                change[name] = amount
        change["deadline"] = values["deadline"] or None
        return StepForm(values, change, errors)
    if step == 3:
        values = {
            "place": _text(form, "place"),
            "place_search": _text(form, "place_search"),
            "cpv_search": _text(form, "cpv_search"),
            "sectors": _many(form, "sectors"),
            "cpv_codes": _many(form, "cpv_codes"),
            "presta_types": _many(form, "presta_types"),
            "kinds": _many(form, "kinds"),
            "reservation": _text(form, "reservation"),
        }
        change = {
            "place": place_of(values["place"]),
            "sectors": values["sectors"],
            "cpv_codes": values["cpv_codes"],
            "presta_types": values["presta_types"],
            "kinds": values["kinds"],
            "reservation": values["reservation"] or None,
        }
        return StepForm(values, change)
    if step == 4:
        typed = [_text(form, f"question_{i}") for i in range(MAX_QUESTIONS)]
        values = {f"question_{i}": q for i, q in enumerate(typed)}
        return StepForm(values, {"questions": [q for q in typed if q]})
    return StepForm({}, {})


def place_of(value: str) -> dict[str, str] | None:
    """« departement:93 » → the API's place."""
    level, _, code = value.partition(":")
    return {"level": level, "code": code} if level and code else None


def step_values(step: int, need: Mapping[str, Any]) -> dict[str, Any]:
    """A saved need's values, as its step's form shows them."""
    if step == 1:
        return {
            "kind": need["kind"],
            "title": need["title"],
            "description": need["description"],
            "sector": (need["sectors"] or [""])[0],
        }
    if step == 2:
        return {
            "amount_min_eur": need["amount_min_eur"] or "",
            "amount_max_eur": need["amount_max_eur"] or "",
            "deadline": need["deadline"] or "",
        }
    if step == 3:
        place = (
            f"{need['place_level']}:{need['place_code']}"
            if need["place_level"] and need["place_code"]
            else ""
        )
        return {
            "place": place,
            "place_search": "",
            "cpv_search": "",
            "sectors": list(need["sectors"]),
            "cpv_codes": list(need["cpv_codes"]),
            "presta_types": list(need["presta_types"]),
            "kinds": list(need["kinds"]),
            "reservation": need["reservation"] or "",
        }
    if step == 4:
        return {f"question_{i}": q for i, q in enumerate(need["questions"])}
    return {}


def field_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's messages by form field: `sectors/0` → `sectors`, `place/code` → `place`."""
    found: dict[str, str] = {}
    for error in problem.errors:
        name = error.field.split("/")[0].split(".")[-1]
        if name == "questions":
            position = error.field.split("/")[1] if "/" in error.field else "0"
            name = f"question_{position}" if position.isdigit() else name
        found.setdefault(name, error.message)
    if not found and problem.detail:
        found["_"] = problem.detail
    return found


def summary(errors: Mapping[str, str], title: str) -> ApiProblem | None:
    """Errors found here, or placed from the API's answer, for the summary above the form."""
    if not errors:
        return None
    return ApiProblem(
        status=422,
        title=title,
        errors=[FieldProblem(name, message) for name, message in errors.items()],
    )


def prefill(params: Mapping[str, str]) -> dict[str, str]:
    """Step 1's values from a search or « avant un achat » link: its sector and place."""
    values = {"sector": params.get("sector") or params.get("secteur") or ""}
    for level, key in (("commune", "commune"), ("departement", "department"), ("region", "region")):
        code = params.get(key) or params.get(level)
        if code and re.fullmatch(r"[0-9AB]{2,5}", code):
            values["place"] = f"{level}:{code}"
    return values


def grouped(needs: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(status, heading, needs) in the order buyers follow them."""
    return [
        (code, heading, [n for n in needs if n["status"] == code])
        for code, heading, _, _ in STATUSES
    ]


def resume_step(need: Mapping[str, Any]) -> int:
    """Where a draft resumes: the first step with nothing filled in, else the review."""
    if need["amount_min_eur"] is None and need["amount_max_eur"] is None and not need["deadline"]:
        return 2
    if not need["place_level"] and not need["presta_types"] and not need["cpv_codes"]:
        return 3
    if not need["questions"]:
        return 4
    return LAST_STEP


@dataclass
class MatchView:
    structure_id: int
    name: str
    score: float
    parts: list[tuple[str, float, int, str]]
    why: list[str]
    status: str
    badge: str
    fits: bool


def match_view(match: Mapping[str, Any]) -> MatchView:
    parts_of: dict[str, float] = next(
        (r.get("parts", {}) for r in match["reasons"] if r.get("kind") == "score"), {}
    )
    answer = match.get("answer")
    if answer in ANSWER_LABELS:
        status, badge = ANSWER_LABELS[answer]
    elif match["opened"]:
        status, badge = "Ouverte", "info"
    elif match["notified"]:
        status, badge = "Prévenue", "new"
    else:
        status, badge = "À prévenir", "warning"
    return MatchView(
        structure_id=int(match["structure_id"]),
        name=str(match["structure_name"]),
        score=float(match["score"]),
        parts=[
            (label, float(parts_of.get(key, 0)), top, meaning)
            for key, label, top, meaning in SCORE_PARTS
        ],
        why=[
            str(r["detail"])
            for r in match["reasons"]
            if r.get("kind") != "score" and r.get("detail")
        ],
        status=status,
        badge=badge,
        fits=bool(match["fits"]),
    )


def match_counts(matches: list[MatchView]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for match in matches:
        counts[match.status] = counts.get(match.status, 0) + 1
    return counts


def place_label(level: str | None, code: str | None, names: Mapping[str, str]) -> str:
    if not level or not code:
        return "Non précisé"
    name = names.get(f"{level}:{code}")
    prefix = dict(PLACE_LEVELS).get(level, level)
    return f"{prefix} {name} ({code})" if name else f"{prefix} {code}"


def place_choices(communes: list[dict[str, Any]], known: Territories) -> list[tuple[str, str]]:
    """From commune suggestions: each commune, then its département and région, once each."""
    choices: dict[str, str] = {}
    for commune in communes:
        postcode = (commune.get("postcodes") or [""])[0]
        choices[f"commune:{commune['code']}"] = f"Commune : {commune['name']} ({postcode})"
    for commune in communes:
        department = commune.get("department")
        if department:
            name = commune.get("department_name") or known.department_name(department) or department
            choices.setdefault(f"departement:{department}", f"Département : {name} ({department})")
    for commune in communes:
        region = commune.get("region")
        if region:
            choices.setdefault(f"region:{region}", f"Région : {known.regions.get(region, region)}")
    return list(choices.items())


def territory_names(level: str | None, code: str | None, known: Territories) -> dict[str, str]:
    """The name of a département or région, keyed as `place_label` reads it."""
    name = None
    if level == "departement" and code:
        name = known.department_name(code)
    elif level == "region" and code:
        name = known.region_name(code)
    return {f"{level}:{code}": name} if name else {}


def typed_place(text: str) -> str | None:
    """A département number typed as such (« 93 », « 2A »), as a place value."""
    code = text.strip().upper()
    if re.fullmatch(r"(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])", code):
        return f"departement:{code}"
    return None
