"""What the claim pages show: a claim's status and next step in words, the search typed to find
one's structure, the proof file checked before it is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.web.api import ApiProblem

PROOF_MAX_BYTES = 5 * 1024 * 1024
PROOF_TYPES = ("application/pdf", "image/png", "image/jpeg")
PROOF_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
CODE = re.compile(r"^[0-9]{6}$")
DEPARTMENT = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$")
SIRET = re.compile(r"^[0-9]{14}$")
MESSAGE_MAX = 1000

STATUS_LABELS = {
    "pending": "en cours",
    "accepted": "acceptée",
    "refused": "refusée",
    "cancelled": "annulée",
}
STATUS_BADGES = {
    "pending": "fr-badge--info",
    "accepted": "fr-badge--success",
    "refused": "fr-badge--error",
    "cancelled": "",
}
METHOD_LABELS = {
    "verification": "code envoyé à l'adresse de contact de la structure",
    "staff_review": "justificatif examiné par l'équipe de la plateforme",
    "join": "décision d'un administrateur de la structure",
    "email_domain": "adresse électronique au domaine du site de la structure",
}


@dataclass
class Lookup:
    """The search typed on « Revendiquer », checked: what to send to the API, or what is wrong."""

    q: str
    department: str
    errors: dict[str, str]

    @property
    def values(self) -> dict[str, str]:
        return {"q": self.q, "department": self.department}

    @property
    def params(self) -> dict[str, str]:
        found = {"q": self.q}
        if self.department:
            found["department"] = self.department
        return found


def read_lookup(q: str | None, department: str | None) -> Lookup:
    text = " ".join((q or "").split())
    # A SIRET or SIREN is often typed in groups: « 807 469 317 00018 ».
    digits = text.replace(" ", "")
    if digits.isdigit():
        text = digits
    place = (department or "").strip().upper()
    errors: dict[str, str] = {}
    if not text:
        errors["q"] = "Saisissez le SIRET, le SIREN ou le nom de votre structure."
    elif text.isdigit() and len(text) not in (9, 14):
        errors["q"] = (
            "Un SIRET compte 14 chiffres et un SIREN 9 chiffres : vérifiez le numéro saisi."
        )
    elif len(text) < 2:
        errors["q"] = "Saisissez au moins 2 caractères du nom."
    elif len(text) > 100:
        errors["q"] = "Saisissez 100 caractères au plus."
    if place and not DEPARTMENT.match(place):
        errors["department"] = "Le département est un code : 93, 2A ou 974 par exemple."
    return Lookup(text, place, errors)


def next_step(claim: dict[str, Any]) -> str:
    """What happens next, in one sentence, for the claim's page and the list of claims."""
    status, method = claim.get("status"), claim.get("method") or claim.get("kind")
    if status == "accepted":
        return "Vous gérez désormais cette structure."
    if status == "refused":
        return "Votre demande a été refusée."
    if status == "cancelled":
        return "Cette demande a été annulée."
    if method == "verification":
        return "Saisissez le code envoyé à l'adresse de contact de la structure."
    if method == "staff_review":
        if claim.get("proof"):
            return "Votre justificatif est en cours d'examen par l'équipe de la plateforme."
        return "Déposez un justificatif pour que l'équipe de la plateforme examine la demande."
    if method == "join":
        return "En attente de la décision d'un administrateur de la structure."
    return "Demande en cours."


def read_code(value: object) -> tuple[str, str | None]:
    """The code typed (spaces dropped) and what is wrong with it, if anything."""
    code = "".join(str(value or "").split())
    if not code:
        return code, "Saisissez le code à 6 chiffres reçu par e-mail."
    if not CODE.match(code):
        return code, "Le code compte exactement 6 chiffres."
    return code, None


def read_message(value: object) -> tuple[str, str | None]:
    message = str(value or "").strip()
    if len(message) > MESSAGE_MAX:
        return message, f"Le message compte {len(message)} caractères : {MESSAGE_MAX} au plus."
    return message, None


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} Mio".replace(".", ",")
    if size >= 1024:
        return f"{round(size / 1024)} Kio"
    return f"{size} octets"


def proof_type_label(media_type: str | None) -> str:
    return {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}.get(
        media_type or "", media_type or ""
    )


def field_errors(problem: ApiProblem, fields: dict[str, str], default: str) -> dict[str, str]:
    """The API's messages put beside the page's fields (API field → form field); a refusal that
    names no known field goes beside `default`."""
    found: dict[str, str] = {}
    for name, message in problem.by_field().items():
        found.setdefault(fields.get(name, default), _sentence(message))
    if not found:
        found[default] = _sentence(problem.detail or problem.title)
    return found


def _sentence(message: str) -> str:
    message = message.strip()
    if message and message[0].islower():
        message = message[0].upper() + message[1:]
    if message and message[-1] not in ".!?":
        message += "."
    return message
