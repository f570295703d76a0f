"""Before a tender: the form's vocabulary (sectors, territory), market depth in plain words and the
insertion-hours calculator, turned from the API's JSON into what the page shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from services.common.text import fold
from services.domain.kinds import FAMILY_LABELS, KIND_LABELS
from services.web.api import Api, ApiProblem
from services.web.places import Territories, territories
from services.web.sessions import SignedIn

# The form's fields: the market-depth query (as the search API names them) and the calculator.
DEPTH_FIELDS = ("sector", "cpv", "cpv_q", "department", "region", "commune")
HOURS_FIELDS = ("amount_eur", "labour_share_percent", "insertion_rate_percent", "hourly_cost_eur")
FIELD_LABELS = {
    "sector": "Secteur d'achat",
    "cpv": "Code CPV",
    "cpv_q": "Code CPV",
    "department": "Département",
    "region": "Région",
    "commune": "Commune",
    "amount_eur": "Montant du marché",
    "labour_share_percent": "Part de la main-d'œuvre",
    "insertion_rate_percent": "Taux d'insertion",
    "hourly_cost_eur": "Coût horaire chargé",
}
NUMBER_EXAMPLES = {
    "amount_eur": "250 000",
    "labour_share_percent": "50",
    "insertion_rate_percent": "5",
    "hourly_cost_eur": "30",
}
KIND_NAMES: dict[str, str] = {kind.value: label for kind, label in KIND_LABELS.items()}
DEFAULT_HOURLY_COST = 30.0
# Legal yearly working time of a full-time job (35 h × 52 weeks less leave and holidays).
FULL_TIME_HOURS = 1607
CPV_CODE = re.compile(r"^[0-9]{8}$")
COMMUNE_CODE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$", re.IGNORECASE)
MAX_FIELD_LENGTH = 120

# What each option asks of the buyer, in plain words.
REQUIREMENTS = {
    "L2113-12": (
        "Citez l'article L2113-12 dans l'avis de marché. Seules les entreprises adaptées (EA, EATT), "
        "les ESAT et les structures équivalentes, qui emploient au moins 50 % de travailleurs "
        "handicapés (R2113-7), peuvent alors candidater au marché ou au lot réservé."
    ),
    "L2113-13": (
        "Citez l'article L2113-13 dans l'avis de marché. Seules les structures d'insertion par "
        "l'activité économique (EI, AI, ACI, ETTI, EITI) et équivalentes, qui emploient au moins "
        "50 % de personnes défavorisées (R2113-7), peuvent alors candidater au marché ou au lot "
        "réservé."
    ),
    "L2113-12 et L2113-13": (
        "Citez les deux articles dans l'avis : les structures du handicap et celles de "
        "l'insertion peuvent toutes candidater au même marché ou lot."
    ),
    "L2112-2": (
        "Aucune restriction de candidature : le cahier des charges impose au titulaire un nombre "
        "d'heures d'insertion (dimensionnez-le avec le calculateur). Il les réalise en embauchant "
        "des personnes éloignées de l'emploi, en sous-traitant ou en cotraitant avec une "
        "structure inclusive. La clause doit être liée à l'objet du marché."
    ),
    "L2152-7": (
        "Ajoutez un critère d'attribution pondéré sur la performance en matière d'insertion "
        "professionnelle (R2152-7) : les offres sont notées sur ce critère, qui doit être lié à "
        "l'objet du marché et annoncé dans les documents de la consultation."
    ),
}
THRESHOLD_LABELS = {
    "fournitures_et_services_etat": "Fournitures et services — État",
    "fournitures_et_services_autres_acheteurs": "Fournitures et services — autres acheteurs",
    "fournitures_et_services_entites_adjudicatrices": "Fournitures et services — entités adjudicatrices",
    "travaux": "Travaux",
}


def read_values(params: Mapping[str, str]) -> dict[str, str]:
    """What the visitor typed, trimmed, for every field of the page (re-shown as typed)."""
    values = {
        name: str(params.get(name, "")).strip()[:MAX_FIELD_LENGTH]
        for name in (*DEPTH_FIELDS, *HOURS_FIELDS)
    }
    # A commune picked among homonyms replaces the name typed.
    picked = str(params.get("commune_code", "")).strip()[:MAX_FIELD_LENGTH]
    if picked:
        values["commune"] = picked
    return values


def field_message(name: str, detail: str) -> str:
    """An API or local message, prefixed with the field's French name."""
    detail = re.sub(r"\b(\d+)\.0\b", r"\1", detail.strip())
    return f"{FIELD_LABELS.get(name, name)} : {detail}"


def parse_number(text: str) -> float | None:
    """A number as a French user types it: « 1 000 000 », « 12,5 », « 50 % », « 30 € »."""
    cleaned = re.sub(r"[\s\u00a0\u202f€%]", "", text).replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class TenderPage:
    """Everything the page shows: the form as typed, errors beside fields, the results."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    cpv_choices: list[Choice] = field(default_factory=list)
    commune_choices: list[Choice] = field(default_factory=list)
    commune_label: str = ""
    depth: dict[str, Any] | None = None
    hours: dict[str, Any] | None = None

    @property
    def depth_asked(self) -> bool:
        return any(self.values[name] for name in DEPTH_FIELDS)

    @property
    def hours_asked(self) -> bool:
        return any(self.values[name] for name in HOURS_FIELDS)

    def depth_params(self) -> list[tuple[str, str]]:
        """The market-depth query as the search API takes it (also used for /recherche)."""
        return [
            (name, self.values[name])
            for name in ("sector", "cpv", "department", "region", "commune")
            if self.values[name]
        ]

    @property
    def search_url(self) -> str:
        return "/recherche?" + urlencode(self.depth_params())

    @property
    def need_url(self) -> str:
        return "/besoins/nouveau?" + urlencode(self.depth_params())


async def _resolve_cpv(api: Api, page: TenderPage, **context: Any) -> None:
    """Words typed in the CPV field become a code: directly when it is one, else the visitor
    picks among the matching codes (shown as suggestions, with or without JavaScript)."""
    values = page.values
    typed = values["cpv_q"]
    if values["cpv"] or not typed:
        return
    if CPV_CODE.match(typed.replace("-", "")[:8]) and len(typed.replace("-", "")) in (8, 9):
        values["cpv"] = typed.replace("-", "")[:8]
        return
    if len(typed) < 2:
        page.errors["cpv_q"] = field_message("cpv_q", "saisissez au moins 2 caractères.")
        return
    page.cpv_choices = await cpv_suggestions(api, typed, **context)
    page.errors["cpv_q"] = field_message(
        "cpv_q",
        "choisissez un des codes proposés ci-dessous."
        if page.cpv_choices
        else f"aucun code CPV ne correspond à « {typed} ».",
    )


async def cpv_suggestions(api: Api, words: str, **context: Any) -> list[Choice]:
    try:
        rows = await api.get("/reference/cpv", params={"q": words[:100]}, **context)
    except ApiProblem:
        return []
    return [Choice(str(r["code"]), f"{r['code']} — {r['label']}") for r in rows]


async def resolve_commune(api: Api, page: TenderPage, **context: Any) -> None:
    """A commune typed by name becomes its INSEE code when one commune has that name;
    homonyms are offered as choices."""
    typed = page.values["commune"]
    if not typed:
        return
    if COMMUNE_CODE.match(typed):
        page.values["commune"] = typed.upper()
        return
    if len(typed) < 2:
        page.errors["commune"] = field_message("commune", "saisissez au moins 2 caractères.")
        return
    try:
        rows = await api.get("/reference/communes", params={"q": typed[:80]}, **context)
    except ApiProblem:
        rows = []
    choices = [
        Choice(str(r["code"]), f"{r['name']} ({r.get('department_name') or r['department']})")
        for r in rows
    ]
    exact = [c for c, r in zip(choices, rows, strict=True) if fold(r["name"]) == fold(typed)]
    if len(exact) == 1:
        page.values["commune"] = exact[0].value
        page.commune_label = exact[0].label
        return
    page.commune_choices = exact or choices[:8]
    page.errors["commune"] = field_message(
        "commune",
        "précisez la commune : saisissez son code INSEE parmi ceux proposés ci-dessous."
        if page.commune_choices
        else f"aucune commune ne correspond à « {typed} ».",
    )


async def build_depth(
    api: Api, page: TenderPage, user: SignedIn | None, client_ip: str | None
) -> None:
    """Market depth for the sector or CPV and the territory typed, or errors beside fields."""
    values = page.values
    await _resolve_cpv(api, page, user=user, client_ip=client_ip)
    await resolve_commune(api, page, user=user, client_ip=client_ip)
    if not (values["sector"] or values["cpv"] or values["cpv_q"]):
        page.errors["sector"] = field_message(
            "sector", "choisissez un secteur d'achat ou saisissez un code CPV."
        )
    # Without the list of places (API unreadable a moment), the API judges the codes itself.
    known = await territories(api, client_ip)
    if values["department"] and known.departments and values["department"] not in known.departments:
        page.errors["department"] = field_message(
            "department", f"département inconnu « {values['department']} »."
        )
    if values["region"] and known.regions and values["region"] not in known.regions:
        page.errors["region"] = field_message("region", f"région inconnue « {values['region']} ».")
    if page.errors:
        return
    try:
        answer = await api.get(
            "/market-depth", params=page.depth_params(), user=user, client_ip=client_ip
        )
    except ApiProblem as problem:
        fields = problem.by_field()
        for name, message in fields.items():
            target = name if name in FIELD_LABELS else "sector"
            page.errors[target] = field_message(target, message)
        if not fields:
            page.errors["sector"] = problem.detail or problem.title
        return
    page.depth = depth_view(answer)


def depth_view(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The API's market depth, with French labels and each option's requirements."""

    def kinds(counts: Mapping[str, int]) -> list[tuple[str, str, int]]:
        return [
            (code, KIND_NAMES.get(code, code), n)
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]

    law = answer.get("law", {})
    return {
        "eligible": answer["eligible_suppliers"],
        "local": answer.get("local_suppliers", 0),
        "by_family": [
            (FAMILY_LABELS.get(f, f), n) for f, n in sorted(answer.get("by_family", {}).items())
        ],
        "by_kind": kinds(answer.get("by_kind", {})),
        "undeclared": answer.get("undeclared_suppliers", 0),
        "undeclared_by_kind": kinds(answer.get("undeclared_by_kind", {})),
        "summary": answer.get("summary", ""),
        "options": [
            {**option, "requires": REQUIREMENTS.get(option["article"], "")}
            for option in answer.get("options", [])
        ],
        "minimum_share": law.get("minimum_share"),
        "climate_law": law.get("climate_law"),
        "thresholds": [
            (THRESHOLD_LABELS.get(key, key), amount)
            for key, amount in law.get("european_thresholds_2026_2027_eur_ht", {}).items()
        ],
    }


async def build_hours(
    api: Api, page: TenderPage, user: SignedIn | None, client_ip: str | None
) -> None:
    """The insertion hours of a social clause, or a message beside each wrong field."""
    numbers: dict[str, float] = {}
    for name in HOURS_FIELDS:
        typed = page.values[name]
        if not typed:
            if name != "hourly_cost_eur":
                page.errors[name] = field_message(name, "obligatoire.")
            continue
        value = parse_number(typed)
        if value is None:
            page.errors[name] = field_message(
                name, f"saisissez un nombre, par exemple {NUMBER_EXAMPLES[name]}."
            )
        else:
            numbers[name] = value
    if page.errors.keys() & set(HOURS_FIELDS):
        return
    numbers.setdefault("hourly_cost_eur", DEFAULT_HOURLY_COST)
    try:
        answer = await api.get("/insertion-hours", params=numbers, user=user, client_ip=client_ip)
    except ApiProblem as problem:
        for name, message in problem.by_field().items():
            target = name if name in HOURS_FIELDS else "amount_eur"
            page.errors[target] = field_message(target, message)
        if not problem.by_field():
            page.errors["amount_eur"] = problem.detail or problem.title
        return
    page.hours = {**answer, "full_time_equivalent": answer["hours"] / FULL_TIME_HOURS}


def place_options(
    known: Territories, values: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The form's départements (by code) and régions (by name), as code -> name; a code chosen
    stays an option even when the places could not be read."""
    departments = {code: d.name for code, d in sorted(known.departments.items())}
    regions = dict(sorted(known.regions.items(), key=lambda item: fold(item[1])))
    if values.get("department"):
        departments.setdefault(values["department"], values["department"])
    if values.get("region"):
        regions.setdefault(values["region"], values["region"])
    return departments, regions
