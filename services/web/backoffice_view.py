"""The staff back-office as the pages show it: its sections, the queues' counts, a claim's
method in words, the reasons staff type, the pages of a long list."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.web.api import ApiProblem
from services.web.templating import french_date

PARIS = ZoneInfo("Europe/Paris")
# The back-office's sections, in the order of its side menu: (key, address, label).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("accueil", "/back-office", "Vue d'ensemble"),
    ("demandes", "/back-office/demandes", "Demandes de gestion"),
    ("besoins", "/back-office/besoins", "Besoins à modérer"),
    ("a-prevenir", "/back-office/a-prevenir", "Structures à prévenir"),
    ("imports", "/back-office/imports", "Imports de données"),
    ("structures", "/back-office/structures", "Structures"),
)
SECTION_LABELS = {key: label for key, _, label in SECTIONS}
SECTION_HREFS = {key: href for key, href, _ in SECTIONS}
CLAIM_METHODS = {
    "staff_review": "Justificatif examiné par l'équipe",
    "verification": "Code envoyé à l'adresse de contact",
    "join": "Demande à rejoindre l'équipe (décidée par un administrateur)",
    "email_domain": "Adresse au domaine du site de la structure",
}
PROOF_TYPES = {
    "application/pdf": "PDF",
    "image/png": "image PNG",
    "image/jpeg": "image JPEG",
}
DECISIONS = {"accepter": True, "refuser": False}
MAX_REASON = 1000
MAX_NEED_REASON = 2000
MAX_QUERY = 200
DEPARTMENT = re.compile(r"(?:[0-9]{2,3}|2[AB])")
IMPORT_PAGE_SIZE = 50
# The API caps the untold list; the page says « at least » when it is reached.
UNTOLD_LIMIT = 1000
UNTOLD_PAGE_SIZE = 50
# Structures read at once for their public contact (the API's quota is shared).
CONTACT_READS = 8
# How many claims are read, page by page, to find the one a decision page is about.
CLAIM_SCAN_PAGES = 10
CLAIM_SCAN_SIZE = 200
# Whether the catalog records a reason with a delisting (`PATCH /structures/{id}`).
LISTING_TAKES_REASON = False
# The APIs answer these when a queue's route is missing or refuses its parameters.
UNAVAILABLE = frozenset({404, 405, 422})


@dataclass(frozen=True)
class QueueCount:
    """One queue on the back-office's front page."""

    key: str
    label: str
    href: str
    count: int | None  # None: the API did not say
    capped: bool = False
    hint: str = ""


def clean_text(value: object, limit: int = MAX_REASON) -> str:
    """What was typed, trimmed; kept whole (the form shows it back when it is refused)."""
    return value.strip()[: limit * 4] if isinstance(value, str) else ""


def reason_errors(reason: str, required: bool, limit: int = MAX_REASON) -> dict[str, str]:
    if required and not reason:
        return {"reason": "Indiquez le motif : il est envoyé par e-mail au demandeur."}
    if len(reason) > limit:
        return {"reason": f"Le motif dépasse {limit} caractères ({len(reason)})."}
    return {}


def field_errors(problem: ApiProblem, field: str = "reason") -> dict[str, str]:
    """The API's refusal beside the form's field (a refusal naming no field goes beside it)."""
    errors = problem.by_field()
    return errors or {field: problem.detail or problem.title}


def items_of(answer: Any) -> list[dict[str, Any]]:
    """A list answer, or a page of one (`items`)."""
    if isinstance(answer, Mapping):
        found = answer.get("items")
        return list(found) if isinstance(found, list) else []
    return list(answer) if isinstance(answer, list) else []


def total_of(answer: Any) -> int:
    if isinstance(answer, Mapping) and isinstance(answer.get("total"), int):
        return int(answer["total"])
    return len(items_of(answer))


def pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def page_window(current: int, last: int) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, those around the current one;
    None where some are skipped."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and isinstance(window[-1], int) and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def proof_label(proof: Mapping[str, Any] | None) -> str:
    if not proof:
        return ""
    kind = PROOF_TYPES.get(str(proof.get("media_type")), str(proof.get("media_type") or ""))
    size = int(proof.get("size") or 0)
    if size < 1024:
        weight = f"{size} octets"
    elif size < 1024 * 1024:
        weight = f"{size / 1024:.0f} Ko"
    else:
        weight = f"{size / 1048576:.1f} Mo"
    return f"{kind}, {weight.replace('.', ',')}"


def structure_label(row: Mapping[str, Any]) -> str:
    name = str(row.get("name") or row.get("structure_name") or "")
    brand = row.get("brand")
    return f"{brand} ({name})" if brand and brand != name else name


def untold_by_need(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The untold structures grouped under their need, needs in the order first met."""
    groups: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for row in rows:
        need_id = int(row.get("need_id") or 0)
        if need_id not in groups:
            groups[need_id] = (
                {
                    "id": need_id,
                    "title": row.get("need_title") or f"Besoin n° {need_id}",
                    "deadline": row.get("deadline"),
                },
                [],
            )
        groups[need_id][1].append(row)
    return list(groups.values())


def public_contact(structure: Mapping[str, Any] | None) -> dict[str, str]:
    """What a structure publishes to be reached: its site, its address, any published phone
    or e-mail (the catalog keeps its verification address private)."""
    if not structure:
        return {}
    found: dict[str, str] = {}
    for key in ("phone", "public_phone", "contact_phone"):
        if structure.get(key):
            found["phone"] = str(structure[key])
            break
    for key in ("public_email", "email"):
        if structure.get(key):
            found["email"] = str(structure[key])
            break
    if structure.get("website"):
        found["website"] = str(structure["website"])
    address = " ".join(
        str(part)
        for part in (structure.get("address"), structure.get("postcode"), structure.get("city"))
        if part
    )
    if address:
        found["address"] = address
    return found


def buyer_of(need: Mapping[str, Any]) -> dict[str, str]:
    """Who deposited a need, as far as the staff's queue says: organisation, name, address."""
    nested = need.get("buyer") if isinstance(need.get("buyer"), Mapping) else {}
    assert isinstance(nested, Mapping)
    found: dict[str, str] = {}
    for key, names in (
        ("organisation", ("buyer_organisation", "organisation", "organization")),
        ("name", ("buyer_name",)),
        ("email", ("buyer_email", "contact_email")),
    ):
        for name in names:
            value = need.get(name) or nested.get(name) or nested.get(key)
            if value:
                found[key] = str(value)
                break
    return found


def french_time(value: object) -> str:
    """« 14 h 05 », French time, from the API's UTC date-time ("" when absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}"


def latest_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest run of each source (the runs come newest first)."""
    seen: dict[str, dict[str, Any]] = {}
    for run in runs:
        seen.setdefault(str(run.get("source")), run)
    return list(seen.values())


def latest_imports_hint(latest: list[dict[str, Any]]) -> str:
    if not latest:
        return "Aucun import enregistré."
    parts = [
        f"{run.get('source')} : {run.get('rejected') or 0} ({french_date(run.get('started_at'))})"
        for run in latest
    ]
    return "Dernier import de chaque fichier — " + " ; ".join(parts) + "."
