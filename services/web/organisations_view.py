"""Buyers' organisations as the pages show them: the creation and settings forms turned into the
API's fields, the kinds of buyer with what each changes, members' roles, the yearly report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from services.web.api import ApiProblem
from services.web.templating import number

ROLES = (
    ("member", "Membre : voit et conduit les projets"),
    ("admin", "Administrateur : gère aussi les membres et les réglages"),
)
ROLE_NAMES = {"admin": "Administrateur", "member": "Membre"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELD_LABELS = {
    "name": "Nom",
    "siret": "SIRET",
    "siren": "SIREN",
    "identifier": "SIRET ou SIREN",
    "buyer_kind": "Type d'acheteur",
    "hours_threshold": "Seuil d'heures d'insertion",
    "email": "Adresse e-mail",
    "role": "Rôle",
}
# The report's counts, in the order the page lists them.
REPORT_COUNTS = (
    ("projects", "Projets de l'année"),
    ("decided", "Projets avec une décision"),
    ("awarded", "Projets attribués"),
    ("with_social_consideration", "Avec une considération sociale"),
    ("without_social_consideration", "Sans considération sociale"),
    ("without_justified", "Sans considération sociale, justifiés"),
    ("expected", "Où une considération sociale était attendue"),
    ("expected_and_met", "… et où elle a été retenue"),
    ("hours_planned", "Heures d'insertion prévues"),
)
PROJECT_STATUSES = {
    "draft": ("À décider", "new"),
    "decided": ("Décidé", "info"),
    "awarded": ("Attribué", "success"),
}


@dataclass
class OrganisationForm:
    """A form as typed: values shown again, the API's body, errors beside the fields."""

    values: dict[str, str]
    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: FormData, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _threshold(text: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    plain = re.sub(r"[\s\u00a0\u202fh]", "", text)
    if not plain.isdigit():
        errors["hours_threshold"] = "indiquez un nombre d'heures entier, par exemple 500"
        return None
    return int(plain)


def read_creation(form: FormData) -> OrganisationForm:
    """The creation form: a SIRET (14 digits) or a SIREN (9 digits) in one field."""
    values = {n: _text(form, n) for n in ("name", "identifier", "buyer_kind", "hours_threshold")}
    errors: dict[str, str] = {}
    digits = re.sub(r"[\s\u00a0\u202f.-]", "", values["identifier"])
    body: dict[str, Any] = {
        "name": values["name"],
        "siret": None,
        "siren": None,
        "buyer_kind": values["buyer_kind"],
    }
    if not digits:
        errors["identifier"] = "indiquez le SIRET (14 chiffres) ou le SIREN (9 chiffres)"
    elif digits.isdigit() and len(digits) == 14:
        body["siret"] = digits
    elif digits.isdigit() and len(digits) == 9:
        body["siren"] = digits
    else:
        errors["identifier"] = (
            "un SIRET compte 14 chiffres et un SIREN 9 chiffres : vérifiez le numéro saisi"
        )
    if not values["name"]:
        errors["name"] = "indiquez le nom de l'organisation"
    if not values["buyer_kind"]:
        errors["buyer_kind"] = "choisissez le type d'acheteur"
    body["hours_threshold"] = _threshold(values["hours_threshold"], errors)
    return OrganisationForm(values, body, errors)


def read_settings(form: FormData) -> OrganisationForm:
    values = {n: _text(form, n) for n in ("name", "buyer_kind", "hours_threshold")}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "indiquez le nom de l'organisation"
    if not values["buyer_kind"]:
        errors["buyer_kind"] = "choisissez le type d'acheteur"
    body: dict[str, Any] = {
        "name": values["name"],
        "buyer_kind": values["buyer_kind"],
        "hours_threshold": _threshold(values["hours_threshold"], errors),
    }
    return OrganisationForm(values, body, errors)


def read_member(form: FormData) -> OrganisationForm:
    values = {"email": _text(form, "email", 254), "role": _text(form, "role") or "member"}
    errors: dict[str, str] = {}
    if not EMAIL.match(values["email"]):
        errors["email"] = "indiquez une adresse e-mail valide, par exemple nom@mairie.fr"
    if values["role"] not in ROLE_NAMES:
        errors["role"] = "choisissez un rôle"
    return OrganisationForm(values, {"email": values["email"], "role": values["role"]}, errors)


def settings_values(organisation: Mapping[str, Any]) -> dict[str, str]:
    threshold = organisation.get("hours_threshold")
    return {
        "name": str(organisation.get("name") or ""),
        "buyer_kind": str(organisation.get("buyer_kind") or ""),
        "hours_threshold": "" if threshold is None else str(threshold),
    }


def field_errors(problem: ApiProblem, known: tuple[str, ...]) -> dict[str, str]:
    """The API's messages by form field (`siret`/`siren` go to the identifier's field); what no
    field takes goes above the form."""
    found: dict[str, str] = {}
    for error in problem.errors:
        name = error.field.split("/")[-1].split(".")[0]
        if name in ("siret", "siren"):
            name = "identifier"
        found.setdefault(name if name in known else "_", error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


def report_years(today: date | None = None) -> list[int]:
    """The years the report offers: this one and the five before."""
    year = (today or date.today()).year
    return list(range(year, year - 6, -1))


def _thresholds(vocabulary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found = vocabulary.get("climate_thresholds") or {}
    return {str(t["buyer_kind"]): t for t in found.get("by_buyer_kind", [])}


def threshold_hint(threshold: Mapping[str, Any] | None) -> str:
    """What choosing a kind of buyer changes: the European threshold (€ HT) from which the
    Climat et Résilience law expects a social consideration, as the API gives it."""
    if threshold is None:
        return ""
    if not threshold.get("subject"):
        return "Non soumise à la loi Climat et Résilience pour ses achats."
    amounts = threshold.get("threshold_eur") or {}
    services, supplies = amounts.get("services"), amounts.get("fournitures")
    if services == supplies and services is not None:
        return f"Seuil européen : {number(services)} € HT pour les fournitures et services."
    parts = [
        f"{number(amount)} € HT pour les {label}"
        for label, amount in (("services", services), ("fournitures", supplies))
        if amount is not None
    ]
    return f"Seuil européen : {' ; '.join(parts)}." if parts else ""


def works_hint(vocabulary: Mapping[str, Any]) -> str:
    """The works threshold: one sentence when every subject buyer shares it."""
    works = {
        t["threshold_eur"].get("travaux")
        for t in _thresholds(vocabulary).values()
        if t.get("subject") and t.get("threshold_eur")
    } - {None}
    if len(works) == 1:
        (amount,) = works
        return f"Pour les travaux, le seuil est de {number(amount)} € HT pour tous les acheteurs."
    return ""


def buyer_kinds(vocabulary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The API's kinds of buyer with their labels, each with what it changes (its thresholds
    read from the API's vocabulary; the works threshold in each hint only when it differs)."""
    thresholds = _thresholds(vocabulary)
    shared_works = bool(works_hint(vocabulary))
    kinds = []
    for kind in vocabulary.get("buyer_kinds", []):
        threshold = thresholds.get(kind["code"])
        hint = threshold_hint(threshold)
        works = ((threshold or {}).get("threshold_eur") or {}).get("travaux")
        if not shared_works and works is not None and (threshold or {}).get("subject"):
            hint = f"{hint} Travaux : {number(works)} € HT.".strip()
        kinds.append((kind["code"], kind["label"], hint))
    return kinds


def is_admin(organisation: Mapping[str, Any], staff: bool) -> bool:
    return organisation.get("my_role") == "admin" or staff


@dataclass
class PublicData:
    """What the public procurement data (DECP) knows of an organisation: the buyer it matched
    (its own SIRET, else an establishment of its SIREN) and that buyer's latest year."""

    buyer: dict[str, Any] | None  # None: the data does not know it yet
    same_siret: bool = True
    readable: bool = True  # False: the figures could not be read just now

    @property
    def latest(self) -> dict[str, Any] | None:
        years = (self.buyer or {}).get("years") or []
        return years[0] if years else None


def matching_siret(organisation: Mapping[str, Any], hits: list[dict[str, Any]]) -> str | None:
    """Among the buyers the data finds by the organisation's SIREN, its own SIRET if there,
    else the first establishment of the same SIREN."""
    siren = str(organisation.get("siren") or "")
    sirets = [str(h["siret"]) for h in hits if str(h.get("siret", "")).startswith(siren)]
    if not siren or not sirets:
        return None
    own = organisation.get("siret")
    return own if own in sirets else sirets[0]
