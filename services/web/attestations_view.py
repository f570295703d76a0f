"""Suppliers' yearly OETH attestations as the manager's pages show them: the attestation form
(client, contract rows that grow without scripts) turned into the API's fields and back, the
prefill from a client's matched spend or from the attestation reissued, statuses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from starlette.datastructures import FormData

from services.domain.identifiers import siren_problem
from services.web.api import ApiProblem
from services.web.manage_view import ATTESTING_KINDS
from services.web.tender_view import parse_number

EMPTY_ROWS = 3
ADDED_ROWS = 3
MAX_ROWS = 60
ROW_PARTS = ("reference", "description", "invoiced_on", "amount", "labour")
# The API's contract fields by the form's row parts.
API_ROW_PARTS = {
    "reference": "reference",
    "description": "description",
    "invoiced_on": "invoiced_on",
    "amount_excl_vat_eur": "amount",
    "labour_cost_eur": "labour",
}
CLIENT_FIELDS = ("client_siren", "client_name", "client_address")
FIELD_LABELS = {
    "client_siren": "SIREN du client",
    "client_name": "Nom du client",
    "client_address": "Adresse du client",
    "year": "Année",
    "contracts": "Contrats",
}
PART_LABELS = {
    "reference": "référence",
    "description": "objet",
    "invoiced_on": "date de facturation",
    "amount": "montant HT",
    "labour": "coût de main-d'œuvre",
}
STATUSES = {
    "issued": ("Émise", "success"),
    "replaced": ("Remplacée", "info"),
}


def attests(structure: Mapping[str, Any]) -> bool:
    return structure.get("kind") in ATTESTING_KINDS


def label(name: str) -> str:
    """A field's French name, a contract row's part with its row number."""
    found = re.fullmatch(r"contract_(\d+)_(\w+)", name)
    if found:
        return f"Contrat {found.group(1)}, {PART_LABELS.get(found.group(2), found.group(2))}"
    return FIELD_LABELS.get(name, name)


@dataclass
class AttestationForm:
    """The form as typed: values shown again, the API's body, errors beside fields."""

    values: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # The form's rows sent to the API, by the API's index (to place its messages).
    sent_rows: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.values.get("rows") or EMPTY_ROWS)


def _text(form: FormData | Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _amount_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    amount = round(float(value), 2)
    return str(int(amount)) if amount.is_integer() else f"{amount:.2f}".replace(".", ",")


def empty_values(year: int) -> dict[str, Any]:
    return {"year": str(year), "rows": EMPTY_ROWS}


def client_values(client: Mapping[str, Any], year: int) -> dict[str, Any]:
    """The form prefilled from a client's matched spend: its SIREN, its name, one row with the
    year's amount; the manager adds the labour cost."""
    values = empty_values(year)
    values |= {
        "client_siren": str(client.get("siren") or ""),
        "client_name": str(client.get("name") or ""),
        "contract_1_description": f"Prestations {year}",
        "contract_1_amount": _amount_text(client.get("amount_eur")),
    }
    return values


def attestation_values(attestation: Mapping[str, Any]) -> dict[str, Any]:
    """The form prefilled with an attestation, to reissue it corrected."""
    client = attestation.get("client") or {}
    contracts = attestation.get("contracts") or []
    values: dict[str, Any] = {
        "year": str(attestation.get("year") or ""),
        "client_siren": str(client.get("siren") or ""),
        "client_name": str(client.get("name") or ""),
        "client_address": str(client.get("address") or ""),
        "version": str(attestation.get("version") or ""),
        "rows": max(len(contracts), 1),
    }
    for row, contract in enumerate(contracts, start=1):
        values |= {
            f"contract_{row}_reference": str(contract.get("reference") or ""),
            f"contract_{row}_description": str(contract.get("description") or ""),
            f"contract_{row}_invoiced_on": str(contract.get("invoiced_on") or ""),
            f"contract_{row}_amount": _amount_text(contract.get("amount_excl_vat_eur")),
            f"contract_{row}_labour": _amount_text(contract.get("labour_cost_eur")),
        }
    return values


def read_form(form: FormData, add_rows: bool = False) -> AttestationForm:
    """What was typed, as the page shows it again; « ajouter des lignes » adds empty rows."""
    values: dict[str, Any] = {
        "year": _text(form, "year", 4),
        "client_siren": _text(form, "client_siren", 20),
        "client_name": _text(form, "client_name", 255),
        "client_address": _text(form, "client_address", 500),
        "version": _text(form, "version", 10),
    }
    rows = _text(form, "rows", 3)
    count = min(max(int(rows) if rows.isdigit() else EMPTY_ROWS, 1), MAX_ROWS)
    for row in range(1, count + 1):
        for part in ROW_PARTS:
            values[f"contract_{row}_{part}"] = _text(form, f"contract_{row}_{part}")
    if add_rows:
        added = min(count + ADDED_ROWS, MAX_ROWS)
        for row in range(count + 1, added + 1):
            values |= {f"contract_{row}_{part}": "" for part in ROW_PARTS}
        count = added
    values["rows"] = count
    return AttestationForm(values)


def _day(text: str) -> str | None:
    """A date typed as 2025-03-31 (the date field) or 31/03/2025, in ISO; None if unreadable."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def build_body(typed: AttestationForm) -> None:
    """The API's body, and what the page can tell already: the SIREN, the name, each row's
    amounts (labour cost at most the amount); empty rows are left out."""
    values, errors = typed.values, typed.errors
    year = values["year"]
    if not (year.isdigit() and 2020 <= int(year) <= date.today().year):
        errors["year"] = "choisissez l'année des contrats"
    siren = re.sub(r"[\s\u00a0\u202f.-]", "", values["client_siren"])
    problem = siren_problem(siren) if siren else "indiquez le SIREN du client (9 chiffres)"
    if problem:
        errors["client_siren"] = problem
    if not values["client_name"]:
        errors["client_name"] = "indiquez le nom du client"
    contracts: list[dict[str, Any]] = []
    typed.sent_rows = []
    for row in range(1, typed.rows + 1):
        part = {p: values[f"contract_{row}_{p}"] for p in ROW_PARTS}
        if not any(part.values()):
            continue
        name = f"contract_{row}"
        amount = parse_number(part["amount"])
        labour = parse_number(part["labour"])
        if amount is None or amount < 0:
            errors[f"{name}_amount"] = "indiquez le montant hors taxes en euros, par exemple 12 000"
        if labour is None or labour < 0:
            errors[f"{name}_labour"] = "indiquez le coût de main-d'œuvre en euros"
        elif amount is not None and labour > amount:
            errors[f"{name}_labour"] = "le coût de main-d'œuvre ne peut dépasser le montant HT"
        invoiced = _day(part["invoiced_on"]) if part["invoiced_on"] else None
        if part["invoiced_on"] and invoiced is None:
            errors[f"{name}_invoiced_on"] = "indiquez une date, par exemple 31/03/2025"
        if not part["description"]:
            errors[f"{name}_description"] = "indiquez l'objet du contrat"
        contracts.append(
            {
                "reference": part["reference"],
                "description": part["description"],
                "invoiced_on": invoiced,
                "amount_excl_vat_eur": None if amount is None else round(amount, 2),
                "labour_cost_eur": None if labour is None else round(labour, 2),
            }
        )
        typed.sent_rows.append(row)
    if not contracts:
        errors["contract_1_amount"] = "indiquez au moins un contrat de l'année"
    typed.body = {
        "year": int(year) if year.isdigit() else None,
        "client": {
            "siren": siren,
            "name": values["client_name"],
            "address": values["client_address"],
        },
        "contracts": contracts,
    }


def place_api_errors(problem: ApiProblem, typed: AttestationForm) -> None:
    """The API's refusal, each message beside the form's field (contracts by their row)."""
    for error in problem.errors:
        parts = [p for p in re.split(r"[./\[\]]", error.field) if p and p != "body"]
        name = "_"
        if parts[:1] == ["contracts"] and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row = typed.sent_rows[index] if index < len(typed.sent_rows) else 1
            part = API_ROW_PARTS.get(parts[2] if len(parts) > 2 else "", "amount")
            name = f"contract_{row}_{part}"
        elif parts[:1] == ["client"] and len(parts) >= 2:
            name = f"client_{parts[1]}" if f"client_{parts[1]}" in CLIENT_FIELDS else "_"
        elif parts[:1] == ["year"]:
            name = "year"
        typed.errors.setdefault(name, error.message)
    if not typed.errors:
        typed.errors["_"] = problem.detail or problem.title


def listed(answer: Any) -> list[dict[str, Any]]:
    """The API's list (bare, or under `items`)."""
    if isinstance(answer, dict):
        return list(answer.get("items") or [])
    return list(answer or [])
