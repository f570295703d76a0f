"""A structure's offers as its manager edits them: the form's fields, what the API takes, what
changed when someone else saved first, and the photos' checks before they are sent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.web.activities_view import PRESTA_TYPES
from services.web.api import ApiProblem
from services.web.ranges_view import INHERIT, RANGES, range_errors, range_values

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
MAX_ALT = 200
PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp")
DELIVERY_RANGES = (
    (INHERIT, "Comme l'activité du même secteur"),
    *RANGES,
)
TEXT_FIELDS = {
    "title": 200,
    "description": 5000,
    "unit": 50,
    "price_indication": 200,
    "minimum_order": 200,
    "capacity": 200,
}
FIELD_LABELS = {
    "title": "Titre",
    "description": "Description",
    "sector": "Secteur",
    "presta_type": "Type de prestation",
    "unit": "Unité",
    "price_indication": "Prix indicatif",
    "minimum_order": "Commande minimale",
    "capacity": "Capacité",
    "lead_time_days": "Délai",
    "delivery_zone": "Zone de livraison",
    "is_active": "Visible des acheteurs",
}
DONE = {
    "ajoutee": "L'offre est ajoutée.",
    "modifiee": "L'offre est modifiée.",
    "activee": "L'offre est de nouveau visible des acheteurs.",
    "desactivee": "L'offre est désactivée : les acheteurs ne la voient plus.",
    "retiree": "L'offre est retirée.",
    "photo": "La photo est ajoutée.",
    "photo-retiree": "La photo est retirée.",
}


@dataclass
class OfferInput:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_offer(form: FormData) -> OfferInput:
    """The offer's own fields (the delivery zone is read apart, as a range)."""
    typed = OfferInput(
        values={
            **{name: _text(form, name) for name in TEXT_FIELDS},
            "sector": _text(form, "sector"),
            "presta_type": _text(form, "presta_type"),
            "lead_time_days": _text(form, "lead_time_days"),
            "is_active": form.get("is_active") == "1",
            "secteur_filtre": _text(form, "secteur_filtre")[:100],
            "loaded": _text(form, "loaded")[:20000],
            "version": _text(form, "version")[:12],
        }
    )
    values, errors = typed.values, typed.errors
    if not values["title"]:
        errors["title"] = "Donnez un titre à l'offre."
    for name, limit in TEXT_FIELDS.items():
        if len(values[name]) > limit:
            errors[name] = f"{limit} caractères au plus (vous en avez saisi {len(values[name])})."
    if not values["sector"]:
        errors["sector"] = "Choisissez le secteur de l'offre."
    if values["presta_type"] not in dict(PRESTA_TYPES):
        errors["presta_type"] = "Choisissez le type de prestation."
    lead = values["lead_time_days"]
    if lead and (not lead.isdigit() or int(lead) > 3650):
        errors["lead_time_days"] = "Indiquez un nombre de jours, entier de 0 à 3 650."
    typed.body = {
        **{name: values[name] or None for name in TEXT_FIELDS},
        "sector": values["sector"],
        "presta_type": values["presta_type"],
        "lead_time_days": int(lead) if lead.isdigit() else None,
        "is_active": values["is_active"],
    }
    return typed


def offer_values(offer: dict[str, Any] | None) -> dict[str, Any]:
    """The form's fields from an offer as the API gives it (a new offer is active)."""
    if offer is None:
        return {
            **{name: "" for name in TEXT_FIELDS},
            "sector": "",
            "presta_type": "",
            "lead_time_days": "",
            "is_active": True,
            "secteur_filtre": "",
            **range_values(None),
            "range": INHERIT,
        }
    zone = None if offer.get("delivery_zone_inherited") else offer.get("delivery_zone")
    lead = offer.get("lead_time_days")
    return {
        **{name: offer.get(name) or "" for name in TEXT_FIELDS},
        "sector": offer["sector"],
        "presta_type": offer["presta_type"],
        "lead_time_days": "" if lead is None else str(lead),
        "is_active": bool(offer.get("is_active")),
        "secteur_filtre": "",
        **range_values(zone),
        **({"range": INHERIT} if zone is None else {}),
        "loaded": loaded_state(offer),
        "version": str(offer["version"]),
    }


def loaded_state(offer: dict[str, Any]) -> str:
    zone = None if offer.get("delivery_zone_inherited") else offer.get("delivery_zone")
    return json.dumps(
        {
            **{name: offer.get(name) for name in FIELD_LABELS if name != "delivery_zone"},
            "delivery_zone": zone,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def changes_since(
    loaded: str, current: dict[str, Any], names: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(field, as loaded, as now saved) for each field someone else changed."""
    try:
        before: dict[str, Any] = json.loads(loaded) if loaded else {}
    except ValueError:
        return []
    if not isinstance(before, dict) or not before:
        return []
    now = json.loads(loaded_state(current))

    def shown(name: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if name == "sector":
            return names.get(str(value), str(value))
        if name == "presta_type":
            return dict(PRESTA_TYPES).get(str(value), str(value))
        if name == "is_active":
            return "oui" if value else "non"
        if name == "lead_time_days":
            return f"{value} jour{'s' if int(value) > 1 else ''}"
        if name == "delivery_zone":
            return "modifiée"
        return str(value)[:120]

    return [
        (label, shown(name, before.get(name)), shown(name, now.get(name)))
        for name, label in FIELD_LABELS.items()
        if before.get(name) != now.get(name)
    ]


def offer_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's refusals, on the form's fields (anything else above the form)."""
    found = range_errors(problem)
    known = {*TEXT_FIELDS, "sector", "presta_type", "lead_time_days"}
    for error in problem.errors:
        parts = re.split(r"[./]", error.field)
        name = next((p for p in parts if p in known), None)
        if name:
            found.setdefault(name, error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


def photo_of(photo: Any) -> dict[str, Any]:
    """A photo as the media API gives it ({id, url, alt…}), or an older plain address."""
    if isinstance(photo, dict):
        return {
            "id": photo.get("id"),
            "src": f"/medias/{photo['id']}" if photo.get("id") else None,
            "alt": photo.get("alt") or "",
            "width": photo.get("width"),
            "height": photo.get("height"),
        }
    return {"id": None, "src": None, "alt": "", "address": str(photo)}


def check_alt(alt: str) -> str | None:
    if not alt:
        return "Décrivez la photo en quelques mots : ce texte est lu à qui ne la voit pas."
    if len(alt) > MAX_ALT:
        return f"{MAX_ALT} caractères au plus (vous en avez saisi {len(alt)})."
    return None


def check_photo(data: bytes, declared_type: str | None) -> str | None:
    """What the website itself refuses before sending a photo (the API reads its bytes)."""
    if not data:
        return "Le fichier est vide : choisissez une photo."
    if len(data) > MAX_PHOTO_BYTES:
        return "La photo pèse plus de 5 Mio : réduisez-la (5 Mio au plus)."
    if (declared_type or "").split(";")[0].strip().lower() not in PHOTO_TYPES:
        return "Choisissez une image PNG, JPEG ou WebP."
    return None
