"""Needs as a supplier manager's pages show them: the needs a structure received, by where it
stands with each (new, opened, answered, closed), the time left to answer, and how the answer
form becomes the API's answer (and its refusals, messages beside the fields)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from services.web.api import ApiProblem, FieldProblem

# Deadlines are buyers' dates, read on French time.
FRENCH_TIME = ZoneInfo("Europe/Paris")

# (code, heading of the filter, label of the badge, DSFR badge kind), in the order they are met.
STATUSES = (
    ("nouveau", "Nouveaux", "Nouveau", "new"),
    ("ouvert", "Ouverts", "Ouvert", "info"),
    ("repondu", "Répondus", "Répondu", "success"),
    ("clos", "Clos", "Clos", "warning"),
)
STATUS_CODES = tuple(code for code, _, _, _ in STATUSES)
STATUS_LABELS = {code: label for code, _, label, _ in STATUSES}
STATUS_BADGES = {code: badge for code, _, _, badge in STATUSES}

NEED_KINDS = {
    "appel_offres": "Appel d'offres",
    "demande_devis": "Demande de devis",
    "projet_achat": "Projet d'achat",
}
BUYER_KINDS = {
    "public_buyer": "Acheteur public",
    "private_buyer": "Acheteur privé",
}
ANSWER_LABELS = {
    "interested": ("Intéressé", "success"),
    "groupement": ("Intéressé, en groupement", "info"),
    "not_interested": ("Pas intéressé", "error"),
}
# The reasons offered for declining; « autre » asks for the reason in words.
DECLINE_REASONS = (
    ("metier", "Ce n'est pas notre métier"),
    ("capacite", "Volume trop important pour nos capacités"),
    ("plan-de-charge", "Plan de charge complet sur la période"),
    ("zone", "Lieu d'exécution hors de notre zone d'intervention"),
    ("delai", "Délai de réponse trop court"),
    ("montant", "Montant trop faible ou trop élevé pour nous"),
    ("autre", "Autre raison"),
)
# What is missing for an open need to match, and what to change to match it.
MISSING = {
    "sector": "Ajoutez ce secteur à vos activités",
    "zone": "Étendez vos zones d'intervention",
    "presta_type": "Ajoutez ce type de prestation à une activité",
    "kind": "Votre type de structure n'est pas admis par l'acheteur",
}
# Criteria a manager can change on the activities page (the structure's kind is not one).
FIXABLE = frozenset({"sector", "zone", "presta_type"})

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^(?:\+33 ?|0)[1-9](?:[ .-]?[0-9]{2}){4}$")
MAX_REASON = 1000
MAX_ANSWER = 2000
MAX_PARTNERS = 300
MAX_EMAIL = 254


def french_today() -> date:
    return datetime.now(FRENCH_TIME).date()


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def days_left(deadline: Any, today: date | None = None) -> int | None:
    day = _as_date(deadline)
    if day is None:
        return None
    return (day - (today or french_today())).days


def time_left(deadline: Any, today: date | None = None) -> str:
    """« plus que 3 jours », « dernier jour », « date limite passée »: what a phone shows."""
    left = days_left(deadline, today)
    if left is None:
        return "sans date limite"
    if left < 0:
        return "date limite passée"
    if left == 0:
        return "dernier jour pour répondre"
    if left == 1:
        return "plus qu'un jour"
    return f"plus que {left} jours"


def is_past(deadline: Any, today: date | None = None) -> bool:
    left = days_left(deadline, today)
    return left is not None and left < 0


def status_of(need: Mapping[str, Any], today: date | None = None) -> str:
    """Where the structure stands with a need: closed when it no longer takes answers,
    answered, opened (read) or new."""
    if need.get("status", "published") != "published" or is_past(need.get("deadline"), today):
        return "clos"
    if need.get("answer") or need.get("your_answer"):
        return "repondu"
    if need.get("opened"):
        return "ouvert"
    return "nouveau"


def _newest_first(need: Mapping[str, Any]) -> tuple[str, int]:
    return (str(need.get("published_at") or ""), int(need.get("need_id") or need.get("id") or 0))


@dataclass
class ReceivedNeed:
    """One line of the received needs: the API's need with where the structure stands."""

    need: dict[str, Any]
    status: str

    @property
    def id(self) -> int:
        return int(self.need.get("need_id") or self.need.get("id") or 0)


def received(
    needs: list[dict[str, Any]], wanted: str | None, today: date | None = None
) -> tuple[list[ReceivedNeed], dict[str, int]]:
    """The needs of the chosen status (all when none), newest first, and the count of each."""
    rows = [ReceivedNeed(n, status_of(n, today)) for n in needs]
    counts = {code: sum(1 for r in rows if r.status == code) for code in STATUS_CODES}
    shown = [r for r in rows if wanted is None or r.status == wanted]
    shown.sort(key=lambda r: _newest_first(r.need), reverse=True)
    return shown, counts


def amount_band(need: Mapping[str, Any]) -> str:
    """The amount as the API gives it to a structure: a band, or the buyer's range."""
    band = need.get("amount_band")
    if isinstance(band, str) and band:
        return band
    low, high = need.get("amount_min_eur"), need.get("amount_max_eur")
    if low is None and high is None:
        return ""

    def euros(value: Any) -> str:
        return f"{int(value):,}".replace(",", "\u202f") + " €"

    if low is not None and high is not None:
        return f"de {euros(low)} à {euros(high)} HT"
    if low is not None:
        return f"à partir de {euros(low)} HT"
    return f"jusqu'à {euros(high)} HT"


def buyer_kind(need: Mapping[str, Any]) -> str:
    kind = need.get("buyer_kind")
    if not kind:
        return ""
    return BUYER_KINDS.get(str(kind), str(kind))


def place(need: Mapping[str, Any]) -> str:
    value = need.get("place") or need.get("place_label")
    if isinstance(value, Mapping):
        return str(value.get("label") or value.get("name") or value.get("code") or "")
    return str(value or "")


def why(need: Mapping[str, Any]) -> list[str]:
    """Why the structure matched (or, for open needs, why it did not), as sentences."""
    reasons = need.get("why") or need.get("reasons") or []
    found: list[str] = []
    for reason in reasons if isinstance(reasons, list) else []:
        if isinstance(reason, str):
            found.append(reason)
        elif isinstance(reason, Mapping) and reason.get("text"):
            found.append(str(reason["text"]))
    return found


@dataclass
class Question:
    position: int
    text: str
    required: bool

    @property
    def name(self) -> str:
        return f"question_{self.position}"


def questions(need: Mapping[str, Any]) -> list[Question]:
    """The buyer's questions; a question the API marks required is required when interested."""
    found = []
    for position, question in enumerate(need.get("questions") or []):
        if isinstance(question, Mapping):
            found.append(
                Question(position, str(question.get("text", "")), bool(question.get("required")))
            )
        else:
            found.append(Question(position, str(question), False))
    return found


@dataclass
class AnswerForm:
    """The answer typed in the page: the values to show again, the errors by field, and the
    API's body once it holds."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _composed_reason(values: Mapping[str, str], status: str) -> str:
    """What the buyer reads beside the answer: the partners, a phone number, a message."""
    lines = []
    if status == "groupement" and values["partners"]:
        lines.append(f"Groupement avec : {values['partners']}")
    if values["contact_phone"]:
        lines.append(f"Téléphone : {values['contact_phone']}")
    if values["message"]:
        lines.append(values["message"])
    return "\n".join(lines)


def read_answer(form: FormData, asked: list[Question]) -> AnswerForm:
    """The form as typed, checked with the link's rules (and the API's messages), in French
    and beside each field."""
    names = ["status", "contact_email", "contact_phone", "partners", "message"]
    names += ["decline_reason", "decline_detail"]
    values = {name: _text(form, name) for name in names}
    for question in asked:
        values[question.name] = _text(form, question.name)
    typed = AnswerForm(values)
    errors = typed.errors
    status = values["status"]
    if status not in ANSWER_LABELS:
        errors["status"] = "choisissez votre réponse : intéressé ou pas intéressé"
        return typed
    if status == "not_interested":
        reasons = dict(DECLINE_REASONS)
        choice = values["decline_reason"]
        if choice not in reasons:
            errors["decline_reason"] = "indiquez la raison quand la structure n'est pas intéressée"
        elif choice == "autre" and not values["decline_detail"]:
            errors["decline_detail"] = "précisez la raison"
        reason = (
            values["decline_detail"]
            if choice == "autre"
            else reasons.get(choice, "")
            + (f" : {values['decline_detail']}" if values["decline_detail"] else "")
        )
        if len(reason) > MAX_REASON:
            errors["decline_detail"] = f"{MAX_REASON} caractères au plus"
        typed.body = {"status": status, "reason": reason}
        return typed
    answers: dict[str, str] = {}
    for question in asked:
        text = values[question.name]
        if question.required and not text:
            errors[question.name] = "répondez à cette question : l'acheteur l'a rendue obligatoire"
        elif len(text) > MAX_ANSWER:
            errors[question.name] = f"{MAX_ANSWER} caractères au plus"
        if text:
            answers[str(question.position)] = text
    email = values["contact_email"]
    if email and (len(email) > MAX_EMAIL or not EMAIL.fullmatch(email)):
        errors["contact_email"] = "adresse e-mail invalide (exemple : contact@structure.fr)"
    phone = values["contact_phone"]
    if phone and not PHONE.fullmatch(phone):
        errors["contact_phone"] = "numéro de téléphone invalide (exemple : 01 23 45 67 89)"
    if status == "groupement" and not values["partners"]:
        errors["partners"] = "nommez les structures avec lesquelles vous répondriez"
    elif len(values["partners"]) > MAX_PARTNERS:
        errors["partners"] = f"{MAX_PARTNERS} caractères au plus"
    reason = _composed_reason(values, status)
    if len(reason) > MAX_REASON and "message" not in errors:
        errors["message"] = f"message trop long : {MAX_REASON} caractères au plus avec le reste"
    typed.body = {"status": status, "answers": answers}
    if email:
        typed.body["contact_email"] = email
    if reason:
        typed.body["reason"] = reason
    return typed


def field_errors(problem: ApiProblem, declining: bool) -> dict[str, str]:
    """The API's messages by form field: `answers/0` → `question_0`; the reason goes beside the
    reason's list when declining, beside the message otherwise."""
    found: dict[str, str] = {}
    for error in problem.errors:
        name = error.field.split(".")[-1]
        if name.startswith("answers/"):
            position = name.split("/", 1)[1]
            name = f"question_{position}" if position.isdigit() else "status"
        elif name == "reason":
            name = "decline_reason" if declining else "message"
        elif name not in ("status", "contact_email"):
            name = "_"
        found.setdefault(name, error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


def summary(errors: Mapping[str, str]) -> ApiProblem | None:
    if not errors:
        return None
    return ApiProblem(
        status=422,
        title="Votre réponse n'a pas été envoyée : corrigez les champs signalés",
        errors=[FieldProblem(name, message) for name, message in errors.items() if name != "_"],
        detail=errors.get("_", ""),
    )


@dataclass
class OpenNeedView:
    """An open need that did not match the structure, with why and what to change."""

    need: dict[str, Any]
    sectors: list[str]
    why: list[str]
    fixes: list[str]
    fixable: bool


def open_need_view(need: dict[str, Any], sector_names: Mapping[str, str]) -> OpenNeedView:
    missing = [str(m) for m in need.get("missing") or []]
    return OpenNeedView(
        need=need,
        sectors=[sector_names.get(str(s), str(s)) for s in need.get("sectors") or []],
        why=why(need),
        fixes=[MISSING.get(m, m) for m in missing],
        fixable=any(m in FIXABLE for m in missing),
    )


def answer_values(need: Mapping[str, Any], answer: object, contact_email: str) -> dict[str, str]:
    """The answer form as it opens: empty, or filled with the answer already given."""
    given = need.get("your_answer_detail") or {}
    values = {
        "status": str(answer or ""),
        "contact_email": str(given.get("contact_email") or contact_email),
    }
    for question in questions(need):
        values[question.name] = str((given.get("answers") or {}).get(str(question.position), ""))
    return values
