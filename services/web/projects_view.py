"""Purchase projects as the pages show them: the project form (lots, place, CPV, hours
parameters) turned into the API's ProjectInput, the evaluation in plain words, the decision form
(options per lot, the justification of « aucune ») and the API's messages placed beside fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData

from services.web import tender_view
from services.web.api import Api, ApiProblem
from services.web.sessions import SignedIn

MAX_LOTS = 50
EMPTY_LOT_ROWS = 1
TEXT_LIMIT = 5000
FIELD_LABELS = {
    "title": "Intitulé",
    "object": "Objet",
    "sector": "Secteur d'achat",
    "cpv_q": "Code CPV",
    "department": "Département",
    "region": "Région",
    "commune": "Commune",
    "contract_kind": "Nature du marché",
    "amount": "Montant estimé",
    "duration_months": "Durée",
    "procedure": "Procédure",
    "lots": "Lots",
    "labour_share_percent": "Part de la main-d'œuvre",
    "insertion_rate_percent": "Taux d'insertion",
    "hourly_cost_eur": "Coût horaire chargé",
    "options": "Options retenues",
    "justification_reason": "Motif",
    "justification_text": "Justification",
    "awarded_on": "Date d'attribution",
}
HOURS_FIELDS = ("labour_share_percent", "insertion_rate_percent", "hourly_cost_eur")
DEFAULT_HOURS = {"labour_share_percent": 50, "insertion_rate_percent": 5, "hourly_cost_eur": 30}
# The API's field names that the form names otherwise.
API_FIELDS = {
    "estimated_amount_eur": "amount",
    "sectors": "sector",
    "cpv": "cpv_q",
    "place": "department",
}
STATUSES = {
    "draft": ("À décider", "new"),
    "decided": ("Décidé", "info"),
    "awarded": ("Attribué", "success"),
}
PLACE_PARAMS = {"departement": "department", "commune": "commune", "region": "region"}
NONE = "none"


def message(name: str, detail: str) -> str:
    """A message prefixed with its field's French name (as the tender page shows them)."""
    detail = re.sub(r"\b(\d+)\.0\b", r"\1", detail.strip())
    label = FIELD_LABELS.get(name)
    if name.startswith("lot_"):
        _, number, part = name.split("_", 2)
        label = f"Lot {number}, {'intitulé' if part == 'title' else 'montant'}"
    return f"{label} : {detail}" if label else detail


def _text(form: FormData | Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number_text(value: Any) -> str:
    """A number as the form shows it again: « 500000 », « 12,5 »."""
    if value is None or value == "":
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number).replace(".", ",")


@dataclass
class ProjectForm:
    """The project form as typed: values shown again, the API's ProjectInput, errors."""

    values: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cpv_choices: list[tender_view.Choice] = field(default_factory=list)
    commune_choices: list[tender_view.Choice] = field(default_factory=list)
    # The form's lot rows sent to the API, by the API's index (to place its messages).
    sent_rows: list[int] = field(default_factory=list)

    @property
    def lot_rows(self) -> int:
        return int(self.values.get("lot_rows") or EMPTY_LOT_ROWS)


def empty_values(defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    hours = {**DEFAULT_HOURS, **(defaults or {})}
    return {
        "contract_kind": "services",
        "procedure": "appel_offres_ouvert",
        "cpv": [],
        "lot_rows": EMPTY_LOT_ROWS,
        **{name: _number_text(hours.get(name)) for name in HOURS_FIELDS},
    }


def read_form(form: FormData) -> ProjectForm:
    """What was typed, as the page shows it again (nothing is checked here)."""
    values: dict[str, Any] = {
        name: _text(form, name, TEXT_LIMIT if name == "object" else 200)
        for name in (
            "title",
            "object",
            "sector",
            "cpv_q",
            "department",
            "region",
            "commune",
            "contract_kind",
            "amount",
            "duration_months",
            "procedure",
            *HOURS_FIELDS,
        )
    }
    picked = _text(form, "commune_code")
    if picked:
        values["commune"] = picked
    values["cpv"] = list(
        dict.fromkeys(v.strip() for v in form.getlist("cpv") if isinstance(v, str) and v.strip())
    )[:20]
    values["other_sectors"] = [
        v for v in form.getlist("other_sectors") if isinstance(v, str) and v.strip()
    ][:20]
    rows = _text(form, "lot_rows")
    count = int(rows) if rows.isdigit() else EMPTY_LOT_ROWS
    count = min(max(count, 1), MAX_LOTS)
    for row in range(1, count + 1):
        values[f"lot_{row}_title"] = _text(form, f"lot_{row}_title")
        values[f"lot_{row}_amount"] = _text(form, f"lot_{row}_amount")
    values["lot_rows"] = count
    return ProjectForm(values)


def values_of(project: Mapping[str, Any]) -> dict[str, Any]:
    """A saved project as its edit form shows it."""
    place = project.get("place") or {}
    param = PLACE_PARAMS.get(str(place.get("level")), "")
    sectors = list(project.get("sectors") or [])
    values: dict[str, Any] = {
        "title": project["title"],
        "object": project.get("object") or "",
        "sector": sectors[0] if sectors else "",
        "other_sectors": sectors[1:],
        "cpv": list(project.get("cpv") or []),
        "cpv_q": "",
        "department": "",
        "region": "",
        "commune": "",
        "contract_kind": project["contract_kind"],
        "amount": _number_text(project["estimated_amount_eur"]),
        "duration_months": str(project["duration_months"]),
        "procedure": project["procedure"],
        **{
            name: _number_text((project.get("hours_parameters") or {}).get(name))
            for name in HOURS_FIELDS
        },
    }
    if param:
        values[param] = str(place.get("code") or "")
    lots = list(project.get("lots") or [])
    for row, lot in enumerate(lots, start=1):
        values[f"lot_{row}_title"] = lot.get("title") or ""
        values[f"lot_{row}_amount"] = _number_text(lot.get("estimated_amount_eur"))
    values["lot_rows"] = max(len(lots) + EMPTY_LOT_ROWS, EMPTY_LOT_ROWS)
    return values


async def _resolve_cpv(api: Api, typed: ProjectForm, **context: Any) -> None:
    """Words typed in the CPV field: a code is added at once; other words offer the matching
    codes, and a code picked among them ends the search."""
    values = typed.values
    words = values["cpv_q"]
    if not words:
        return
    code = re.sub(r"[\s-]", "", words)
    if len(code) in (8, 9) and tender_view.CPV_CODE.match(code[:8]):
        if code[:8] not in values["cpv"]:
            values["cpv"].append(code[:8])
        values["cpv_q"] = ""
        return
    if len(words) < 2:
        typed.errors["cpv_q"] = message("cpv_q", "saisissez au moins 2 caractères.")
        return
    typed.cpv_choices = await tender_view.cpv_suggestions(api, words, **context)
    if any(choice.value in values["cpv"] for choice in typed.cpv_choices):
        values["cpv_q"], typed.cpv_choices = "", []
        return
    typed.errors["cpv_q"] = message(
        "cpv_q",
        "choisissez un des codes proposés ci-dessous, ou videz le champ."
        if typed.cpv_choices
        else f"aucun code CPV ne correspond à « {words} ».",
    )


async def resolve(
    api: Api, typed: ProjectForm, user: SignedIn | None, client_ip: str | None
) -> None:
    """The CPV words and commune name typed become codes (or choices to pick among), then the
    API's ProjectInput is built from the form; what cannot be sent is an error beside its field."""
    values, errors = typed.values, typed.errors
    await _resolve_cpv(api, typed, user=user, client_ip=client_ip)
    page = tender_view.TenderPage(values={"commune": values["commune"]})
    await tender_view.resolve_commune(api, page, user=user, client_ip=client_ip)
    values["commune"] = page.values["commune"]
    typed.commune_choices = page.commune_choices
    if "commune" in page.errors:
        errors["commune"] = page.errors["commune"]
    build_body(typed)


def build_body(typed: ProjectForm) -> None:
    values, errors = typed.values, typed.errors
    places = [(name, values[name]) for name in ("department", "commune", "region") if values[name]]
    if not places:
        errors.setdefault(
            "department",
            message("department", "indiquez le lieu : un département, une commune ou une région."),
        )
    elif len(places) > 1:
        errors.setdefault(
            "department",
            message("department", "un seul lieu : un département, une commune ou une région."),
        )
    body: dict[str, Any] = {
        "title": values["title"],
        "object": values["object"],
        "cpv": values["cpv"],
        "sectors": [s for s in [values["sector"], *values.get("other_sectors", [])] if s],
        "department": values["department"] or None,
        "commune": values["commune"] or None,
        "region": values["region"] or None,
        "contract_kind": values["contract_kind"],
        "procedure": values["procedure"],
    }
    amount = tender_view.parse_number(values["amount"])
    if amount is None:
        errors["amount"] = message("amount", "saisissez un montant en euros, par exemple 500 000.")
    else:
        body["estimated_amount_eur"] = amount
    duration = values["duration_months"]
    if duration.isdigit():
        body["duration_months"] = int(duration)
    else:
        errors["duration_months"] = message(
            "duration_months", "saisissez un nombre de mois entier, par exemple 36."
        )
    hours: dict[str, float] = {}
    for name in HOURS_FIELDS:
        number = tender_view.parse_number(values[name])
        if number is None:
            errors[name] = message(
                name, "saisissez un nombre, par exemple " + str(DEFAULT_HOURS[name]) + "."
            )
        else:
            hours[name] = number
    body["hours_parameters"] = hours
    lots: list[dict[str, Any]] = []
    typed.sent_rows = []
    for row in range(1, typed.lot_rows + 1):
        title, amount_text = values[f"lot_{row}_title"], values[f"lot_{row}_amount"]
        if not title and not amount_text:
            continue
        lot_amount = tender_view.parse_number(amount_text) if amount_text else None
        if amount_text and lot_amount is None:
            errors[f"lot_{row}_amount"] = message(
                f"lot_{row}_amount", "saisissez un montant en euros, ou laissez vide."
            )
        lots.append({"title": title, "estimated_amount_eur": lot_amount})
        typed.sent_rows.append(row)
    body["lots"] = lots
    typed.body = body


def place_api_errors(problem: ApiProblem, typed: ProjectForm) -> None:
    """The API's refusal, each message beside the form's field (lots by their row)."""
    for error in problem.errors:
        parts = [p for p in re.split(r"[./]", error.field) if p and p != "body"]
        name = parts[0] if parts else ""
        if name == "lots" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row = typed.sent_rows[index] if index < len(typed.sent_rows) else 1
            part = "amount" if len(parts) > 2 and parts[2] == "estimated_amount_eur" else "title"
            name = f"lot_{row}_{part}"
        elif name == "hours_parameters":
            name = parts[1] if len(parts) > 1 and parts[1] in HOURS_FIELDS else HOURS_FIELDS[0]
        else:
            name = API_FIELDS.get(name, name)
        if name not in FIELD_LABELS and not name.startswith("lot_"):
            name = "_"
        typed.errors.setdefault(name, message(name, error.message))
    if not typed.errors:
        typed.errors["_"] = problem.detail or problem.title


@dataclass
class DecisionForm:
    """The decision form as typed: the options ticked (« code » or « code@lot »), the reason
    and text of a justification; errors beside them."""

    chosen: list[str]
    reason: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        options: list[dict[str, Any]] = []
        for value in self.chosen:
            code, _, lot = value.partition("@")
            options.append({"code": code, "lot": int(lot) if lot.isdigit() else None})
        justification = None
        if NONE in {o["code"] for o in options} and (self.reason or self.text):
            justification = {"reason": self.reason, "text": self.text}
        return {"options": options, "justification": justification}


def read_decision(form: FormData) -> DecisionForm:
    """The decision as typed; what the API would refuse in its own words (no option, a text
    without its reason) is said here in the page's."""
    chosen = [v for v in form.getlist("option") if isinstance(v, str) and v][:200]
    typed = DecisionForm(
        chosen=list(dict.fromkeys(chosen)),
        reason=_text(form, "justification_reason"),
        text=_text(form, "justification_text", TEXT_LIMIT),
    )
    if not typed.chosen:
        typed.errors["options"] = message(
            "options", "cochez au moins une option, ou « aucune » avec sa justification."
        )
    if NONE in typed.chosen and typed.text and not typed.reason:
        typed.errors["justification_reason"] = message(
            "justification_reason", "choisissez le motif de l'absence de considération sociale."
        )
    return typed


def decision_of(project: Mapping[str, Any]) -> DecisionForm:
    """The current decision, as the form shows it for a revision."""
    decision = project.get("decision")
    if not decision:
        return DecisionForm(chosen=[])
    chosen = [
        o["code"] if o.get("lot") is None else f"{o['code']}@{o['lot']}"
        for o in decision.get("options", [])
    ]
    justification = decision.get("justification") or {}
    return DecisionForm(
        chosen=chosen,
        reason=str(justification.get("reason") or ""),
        text=str(justification.get("text") or ""),
    )


def place_decision_errors(problem: ApiProblem, typed: DecisionForm) -> None:
    for error in problem.errors:
        parts = [p for p in re.split(r"[./]", error.field) if p and p != "body"]
        name = parts[0] if parts else ""
        if name == "justification":
            # Nothing typed at all: the message goes beside the first field, the reason.
            name = "justification_text" if parts[1:2] == ["text"] else "justification_reason"
        elif name != "options":
            name = "options"
        typed.errors.setdefault(name, message(name, error.message))
    if not typed.errors:
        typed.errors["options"] = message("options", problem.detail or problem.title)


def search_url(project: Mapping[str, Any]) -> str:
    """The search of the suppliers the market depth counts (same domain, same place)."""
    params: list[tuple[str, str]] = []
    if project.get("sectors"):
        params.append(("sector", project["sectors"][0]))
    elif project.get("cpv"):
        params.append(("cpv", project["cpv"][0]))
    place = project.get("place") or {}
    param = PLACE_PARAMS.get(str(place.get("level")))
    if param and place.get("code"):
        params.append((param, str(place["code"])))
    return "/recherche?" + urlencode(params)


def evaluation_view(project: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluation's parts as the page shows them (market depth as the tender page does)."""
    evaluation = project.get("evaluation") or {}
    market = evaluation.get("market")
    hours = evaluation.get("insertion_hours")
    return {
        "depth": tender_view.depth_view(market) if market else None,
        "hours": (
            {**hours, "full_time_equivalent": hours["hours"] / tender_view.FULL_TIME_HOURS}
            if hours
            else None
        ),
        "options": evaluation.get("options", []),
        "climate_law": evaluation.get("climate_law") or {},
        "expected": bool(evaluation.get("social_consideration_expected")),
        "expected_because": evaluation.get("expected_because", []),
        "hours_threshold": evaluation.get("hours_threshold"),
        "sources": evaluation.get("sources", []),
        "evaluated_at": evaluation.get("evaluated_at"),
        "search_url": search_url(project),
    }


def option_rows(
    project: Mapping[str, Any], vocabulary: Mapping[str, Any]
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The decision form's checkboxes: (scope id, scope legend, [(value, label)]): the whole
    contract first, then each lot; « aucune » belongs to the whole contract only."""
    options = [o for o in vocabulary.get("option_codes", []) if o["code"] != NONE]
    labelled = [
        (o["code"], f"{o['label']} ({o['article']})" if o.get("article") else o["label"])
        for o in options
    ]
    rows = [("marche", "Le marché entier", labelled)]
    for lot in project.get("lots") or []:
        number = lot["number"]
        rows.append(
            (
                f"lot-{number}",
                f"Lot {number} : {lot['title']}",
                [(f"{code}@{number}", label) for code, label in labelled],
            )
        )
    return rows
