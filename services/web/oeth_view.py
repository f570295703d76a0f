"""The disability-employment (OETH) deduction as the buyer's page shows it: the declaration form
turned into the API's fields and back, the cap and why, each contract's source, the estimate's
rules in plain words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from services.web.api import ApiProblem
from services.web.templating import number
from services.web.tender_view import parse_number

# Kinds whose purchases the deduction counts, with the marks the buyer sets itself.
DEDUCTIBLE_KINDS = ("EA", "EATT", "ESAT")
TIH = "TIH"
KIND_NAMES = {
    "EA": "Entreprise adaptée",
    "EATT": "Entreprise adaptée de travail temporaire",
    "ESAT": "Établissement et service d'aide par le travail",
    TIH: "Travailleur indépendant handicapé",
}
FIELD_LABELS = {
    "headcount": "Effectif d'assujettissement",
    "beneficiaries": "Bénéficiaires de l'obligation d'emploi",
    "rate": "Taux d'emploi",
    "gross_contribution": "Contribution brute",
    "labour_share": "Part de main-d'œuvre estimée",
    "contribution_mode": "Contribution brute",
}
# The API's fields by the form's (its messages go beside them).
API_FIELDS = {
    "headcount": "headcount",
    "beneficiaries": "beneficiaries",
    "rate": "rate",
    "gross_contribution_eur": "gross_contribution",
    "labour_share": "labour_share",
}
DEFAULT_LABOUR_SHARE = 50
# The estimate's details as the API names them, in the order the page lists them.
ESTIMATE_LABELS = {
    "explanation": "En bref",
    "rules": "Textes appliqués",
    "rules_year": "Règles de l'année",
    "year": "Règles de l'année",
    "headcount": "Effectif",
    "band": "Tranche d'effectif",
    "obligation": "Obligation (6 % de l'effectif, arrondi)",
    "beneficiaries": "Bénéficiaires comptés",
    "missing": "Bénéficiaires manquants",
    "coefficient": "Coefficient (× SMIC horaire)",
    "smic_hourly_cents": "SMIC horaire brut",
    "smic_hourly_eur": "SMIC horaire brut",
    "gross_cents": "Contribution brute estimée",
    "gross_eur": "Contribution brute estimée",
    "formula": "Calcul",
}
SKIPPED_ESTIMATE_KEYS = frozenset({"status"})
SOURCES = {
    "attestation": ("Attestation", "success"),
    "estimate": ("Estimation", "warning"),
}
CONTRIBUTION_SOURCES = {
    "declared": "déclarée",
    "estimated": "estimation",
    "missing": "non renseignée",
}


def euros(value: Any) -> str:
    """« 12 345 € » or « 12 345,67 € » (cents only when there are some)."""
    if value is None or value == "":
        return "—"
    amount = round(float(value), 2)
    return f"{number(amount, 0 if amount.is_integer() else 2)}\u00a0€"


def percent_of_share(share: Any) -> str:
    """A fraction (0.5) as the page says it: « 50 % »."""
    if share is None:
        return "—"
    value = round(float(share) * 100, 2)
    return f"{number(value, 0 if value.is_integer() else 2)}\u00a0%"


def years(today: date | None = None) -> list[int]:
    """The years offered: the declaration is made the year after the purchases."""
    year = (today or date.today()).year
    return list(range(year, year - 6, -1))


def default_year(today: date | None = None) -> int:
    return (today or date.today()).year - 1


@dataclass
class DeclarationForm:
    """The declaration as typed: values shown again, the API's body, errors beside fields."""

    values: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: FormData | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip()[:40] if isinstance(value, str) else ""


def _shown(value: Any) -> str:
    """A number as the form shows it again: « 120 », « 2,5 »."""
    if value is None or value == "":
        return ""
    amount = float(value)
    return (
        str(int(amount)) if amount.is_integer() else f"{amount:.2f}".rstrip("0").replace(".", ",")
    )


def declaration_values(declaration: Mapping[str, Any] | None) -> dict[str, str]:
    """The form as the last declaration left it (an estimated contribution when none was given)."""
    if not declaration:
        return {"contribution_mode": "estimate", "labour_share": str(DEFAULT_LABOUR_SHARE)}
    gross = declaration.get("gross_contribution_eur")
    share = declaration.get("labour_share")
    return {
        "headcount": _shown(declaration.get("headcount")),
        "beneficiaries": _shown(declaration.get("beneficiaries")),
        "rate": _shown(declaration.get("rate")),
        "contribution_mode": "declared" if gross is not None else "estimate",
        "gross_contribution": _shown(gross),
        "labour_share": _shown(None if share is None else float(share) * 100)
        or str(DEFAULT_LABOUR_SHARE),
        "version": _shown(declaration.get("version")),
    }


def read_declaration(form: FormData) -> DeclarationForm:
    """The declaration form checked as far as the page can: numbers, ranges, one of the
    beneficiaries or the rate; the API checks the rest."""
    names = (
        "headcount",
        "beneficiaries",
        "rate",
        "contribution_mode",
        "gross_contribution",
        "labour_share",
        "version",
    )
    values = {name: _text(form, name) for name in names}
    if values["contribution_mode"] not in ("declared", "estimate"):
        values["contribution_mode"] = "declared" if values["gross_contribution"] else "estimate"
    typed = DeclarationForm(values)
    errors = typed.errors
    body: dict[str, Any] = {}
    headcount = parse_number(values["headcount"])
    if headcount is None or headcount <= 0:
        errors["headcount"] = "indiquez l'effectif en salariés (moyenne annuelle), par exemple 250"
    else:
        body["headcount"] = round(headcount, 2)
    beneficiaries = parse_number(values["beneficiaries"]) if values["beneficiaries"] else None
    rate = parse_number(values["rate"]) if values["rate"] else None
    if values["beneficiaries"] and (beneficiaries is None or beneficiaries < 0):
        errors["beneficiaries"] = "indiquez un nombre de bénéficiaires, par exemple 7,5"
    if values["rate"] and (rate is None or not 0 <= rate <= 100):
        errors["rate"] = "indiquez un taux en pourcentage entre 0 et 100, par exemple 2,5"
    if not values["beneficiaries"] and not values["rate"]:
        errors["rate"] = (
            "indiquez votre taux d'emploi de travailleurs handicapés ou le nombre de "
            "bénéficiaires : le plafond de la déduction en dépend"
        )
    body["beneficiaries"] = None if beneficiaries is None else round(beneficiaries, 2)
    body["rate"] = None if rate is None else round(rate, 2)
    if values["contribution_mode"] == "declared":
        gross = parse_number(values["gross_contribution"])
        if gross is None or gross < 0:
            errors["gross_contribution"] = (
                "indiquez la contribution brute en euros, par exemple 42 000, "
                "ou choisissez de l'estimer"
            )
        else:
            body["gross_contribution_eur"] = round(gross, 2)
    else:
        body["gross_contribution_eur"] = None
    share = parse_number(values["labour_share"])
    if share is None or not 0 <= share <= 100:
        errors["labour_share"] = "indiquez un pourcentage entre 0 et 100, par exemple 50"
    else:
        body["labour_share"] = round(share / 100, 4)
    typed.body = body
    return typed


def place_api_errors(problem: ApiProblem, typed: DeclarationForm) -> None:
    """The API's refusal, each message beside its field; what no field takes goes above."""
    for error in problem.errors:
        parts = [p for p in re.split(r"[./\[\]]", error.field) if p and p != "body"]
        name = API_FIELDS.get(parts[-1] if parts else "", "_")
        typed.errors.setdefault(name, error.message)
    if not typed.errors:
        typed.errors["_"] = problem.detail or problem.title


def cap_reason(result: Mapping[str, Any]) -> str:
    """Why the cap is what it is, in one sentence."""
    share = result.get("cap_share")
    rate = result.get("rate")
    rate_text = f"{number(rate, 2).rstrip('0').rstrip(',')} %" if rate is not None else ""
    if share is None:
        return (
            "Plafond inconnu : indiquez votre taux d'emploi (ou vos bénéficiaires) et votre "
            "contribution brute pour le connaître."
        )
    if float(share) >= 0.75:
        return (
            f"Plafond de 75 % de la contribution brute : votre taux d'emploi ({rate_text}) "
            "atteint au moins 3 %."
        )
    return (
        f"Plafond de 50 % de la contribution brute : votre taux d'emploi ({rate_text}) "
        "est inférieur à 3 %."
    )


def estimate_lines(estimate: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The estimate of the contribution as label/value pairs (its explanation, the rules' year,
    each figure, the formula): known keys in that order, others after; cents read as euros."""
    if not estimate:
        return []
    lines: list[tuple[int, str, str]] = []
    for key, value in estimate.items():
        if key in SKIPPED_ESTIMATE_KEYS or value is None or value == "":
            continue
        if key == "year" and estimate.get("rules_year") is not None:
            continue
        label = ESTIMATE_LABELS.get(key, key.replace("_", " ").capitalize())
        if key.endswith("_cents"):
            text = euros(float(value) / 100)
        elif key.endswith("_eur"):
            text = euros(value)
        elif isinstance(value, list):
            text = " ; ".join(_pairs(v) if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            text = _pairs(value)
        elif key in ("year", "rules_year"):
            text = str(value)
        elif isinstance(value, float | int) and not isinstance(value, bool):
            text = number(value, 0 if float(value).is_integer() else 2)
        else:
            text = str(value)
        order = list(ESTIMATE_LABELS).index(key) if key in ESTIMATE_LABELS else 99
        lines.append((order, label, text))
    return [(label, text) for _, label, text in sorted(lines, key=lambda line: line[0])]


def _pairs(mapping: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} : {v}" for k, v in mapping.items())


def kind_name(kind: str | None) -> str:
    return KIND_NAMES.get(kind or "", kind or "")


def is_tih(contract: Mapping[str, Any]) -> bool:
    """A contract the buyer marked as bought from a disabled self-employed worker."""
    return bool(contract.get("tih")) or contract.get("kind") == TIH


def attestations_of(answer: Any) -> list[dict[str, Any]]:
    """The API's list (bare, or under `items`)."""
    if isinstance(answer, dict):
        items = answer.get("items") or []
        return list(items)
    return list(answer or [])
