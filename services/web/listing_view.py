"""The listing editor's form: a structure's fields as the form shows them, what the form sends
back as the API's update, the checks made before sending, and the differences shown when
someone else saved in between."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.common.text import fold, slugify
from services.domain.kinds import KIND_LABELS

# (name, label) of the fields of the main form, in the order of the page; the staff's first.
STAFF_FIELDS = (("name", "Raison sociale"), ("kind", "Type de structure"))
TEXT_FIELDS = (
    ("brand", "Enseigne (nom commercial)"),
    ("description", "Présentation"),
    ("website", "Site internet"),
    ("address", "Adresse"),
    ("postcode", "Code postal"),
    ("city", "Commune"),
    ("headcount_insertion", "Salariés en insertion ou travailleurs handicapés"),
    ("headcount_permanent", "Salariés permanents"),
    ("turnover_eur", "Chiffre d'affaires annuel (€)"),
    ("year_founded", "Année de création"),
    ("labels", "Labels et certifications"),
    ("networks", "Réseaux"),
)
NUMBER_FIELDS = {
    "headcount_insertion": (0, 100_000),
    "headcount_permanent": (0, 100_000),
    "turnover_eur": (0, 10_000_000_000),
    "year_founded": (1800, 2100),
}
MAX_REFERENCES = 50
MAX_LABELS = 20
MAX_PHOTOS = 12
MAX_ALT = 200
MAX_UPLOAD = 5 * 1024 * 1024
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}


def labels_of(is_staff: bool) -> dict[str, str]:
    return dict((*STAFF_FIELDS, *TEXT_FIELDS) if is_staff else TEXT_FIELDS)


def kind_options() -> list[tuple[str, str]]:
    return [(str(kind), f"{kind} — {label}") for kind, label in KIND_LABELS.items()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value)


@dataclass
class ListingForm:
    """What the form holds: every field as typed, the client references' rows, the photos'
    alternative texts, and the version it was loaded with."""

    values: dict[str, str]
    references: list[dict[str, str]] = field(default_factory=list)
    photo_alts: dict[str, str] = field(default_factory=dict)
    version: int = 0
    # The listing as the form was loaded: what the user did not change follows another's save.
    loaded: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any]:
        return {"values": dict(self.values), "references": [dict(r) for r in self.references]}

    def loaded_json(self) -> str:
        return json.dumps(self.loaded if self.loaded is not None else self.snapshot())


def form_of(structure: Mapping[str, Any]) -> ListingForm:
    """The form as the saved structure fills it."""
    values = {name: _text(structure.get(name)) for name, _label in (*STAFF_FIELDS, *TEXT_FIELDS)}
    values["labels"] = "\n".join(structure.get("labels") or [])
    values["networks"] = ", ".join(structure.get("networks") or [])
    references = [
        {"name": _text(r.get("name")), "description": _text(r.get("description"))}
        for r in structure.get("client_references") or []
        if isinstance(r, dict)
    ]
    alts = {str(p.get("id")): _text(p.get("alt")) for p in structure.get("photos") or []}
    form = ListingForm(values, references, alts, int(structure.get("version") or 0))
    form.loaded = form.snapshot()
    return form


def typed_form(form: Mapping[str, Any], is_staff: bool) -> ListingForm:
    """The form as the browser sent it, every value kept as typed."""
    names = labels_of(is_staff)
    values = {name: str(form.get(name) or "") for name in names}
    values["photo_alt"] = str(form.get("photo_alt") or "")
    count = _count(form.get("references_count"))
    references = []
    for index in range(count):
        references.append(
            {
                "name": str(form.get(f"ref_name_{index}") or ""),
                "description": str(form.get(f"ref_description_{index}") or ""),
            }
        )
    alts = {
        str(key)[len("photo_alt_") :]: str(value)
        for key, value in form.items()
        if str(key).startswith("photo_alt_") and isinstance(value, str)
    }
    return ListingForm(
        values, references, alts, _count(form.get("version")), _loaded(form.get("loaded"))
    )


def _loaded(value: Any) -> dict[str, Any] | None:
    """The form's state at loading, sent back by the browser (it only guides a merge)."""
    if not isinstance(value, str) or len(value) > 200_000:
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("values"), dict):
        return None
    values = {str(k): str(v) for k, v in found["values"].items()}
    references = [
        {"name": str(r.get("name", "")), "description": str(r.get("description", ""))}
        for r in found.get("references") or []
        if isinstance(r, dict)
    ]
    return {"values": values, "references": references}


def _count(value: Any) -> int:
    text = value.strip() if isinstance(value, str) else ""
    return min(int(text), 10**9) if text.isdigit() and len(text) < 10 else 0


def _number(text: str) -> int | None:
    """« 12 000 », « 12000 » or « 12 000 € » as 12000; None for nothing; ValueError otherwise."""
    cleaned = "".join(text.replace("€", "").split())
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise ValueError(text)
    return int(cleaned)


def _website(text: str) -> str | None:
    url = text.strip()
    if not url:
        return None
    if "://" not in url:
        url = "https://" + url
    return url


def update_of(typed: ListingForm, is_staff: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's update from the typed form, or the errors (field → message) found before
    sending. The commune (postcode, city) is resolved by the caller."""
    values = typed.values
    errors: dict[str, str] = {}
    update: dict[str, Any] = {
        "brand": values["brand"].strip() or None,
        "description": values["description"].strip() or None,
        "website": _website(values["website"]),
        "address": values["address"].strip() or None,
    }
    for name, (low, high) in NUMBER_FIELDS.items():
        try:
            number = _number(values[name])
        except ValueError:
            errors[name] = "Indiquez un nombre entier, sans décimale (par exemple 12 000)."
            continue
        if number is not None and not low <= number <= high:
            errors[name] = f"Indiquez un nombre entre {low:,} et {high:,}.".replace(",", "\u202f")
            continue
        update[name] = number
    labels = list(
        dict.fromkeys(line.strip() for line in values["labels"].splitlines() if line.strip())
    )
    if len(labels) > MAX_LABELS:
        errors["labels"] = f"{MAX_LABELS} labels au plus (un par ligne)."
    elif any(len(label) > 100 for label in labels):
        errors["labels"] = "Un label tient en 100 caractères au plus."
    else:
        update["labels"] = labels
    networks = list(
        dict.fromkeys(slugify(n)[:64].strip("-") for n in values["networks"].split(","))
    )
    update["networks"] = [n for n in networks if n]
    references = []
    for index, row in enumerate(typed.references):
        name, description = row["name"].strip(), row["description"].strip()
        if not name and not description:
            continue
        if not name:
            errors[f"ref_name_{index}"] = "Indiquez le nom du client de cette référence."
            continue
        references.append({"name": name, "description": description or None})
    if len(references) > MAX_REFERENCES:
        errors["references"] = f"{MAX_REFERENCES} références au plus."
    update["client_references"] = references
    if is_staff:
        if not values["name"].strip():
            errors["name"] = "Indiquez la raison sociale."
        update["name"] = values["name"].strip()
        update["kind"] = values["kind"]
    return update, errors


def api_errors(by_pointer: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The API's messages placed beside the form's fields (client_references.2.name is the
    third reference's name; commune_code is the postcode's field)."""
    found: dict[str, str] = {}
    for path, message in by_pointer:
        parts = path.split(".")
        if parts and parts[0] == "body":
            parts = parts[1:]
        if not parts:
            continue
        if parts[0] == "client_references" and len(parts) > 1 and parts[1].isdigit():
            name = f"ref_{parts[2] if len(parts) > 2 else 'name'}_{parts[1]}"
        elif parts[0] in ("commune_code", "postcode"):
            name = "postcode"
        else:
            name = parts[0]
        found.setdefault(name, message)
    return found


@dataclass
class Difference:
    label: str
    saved: str
    typed: str


@dataclass
class Merge:
    """After a conflict: the fields both changed (shown side by side, the typed value kept) and
    those only the other save changed (taken into the form: nothing typed there)."""

    conflicts: list[Difference]
    taken: list[Difference]


def merge(saved: ListingForm, typed: ListingForm, is_staff: bool) -> Merge:
    """Brings the other save's changes into the typed form where the user changed nothing,
    and lists the fields where both changed. The form then stands on the saved version."""
    loaded = typed.loaded
    conflicts: list[Difference] = []
    taken: list[Difference] = []
    for name, label in labels_of(is_staff).items():
        mine, theirs = typed.values.get(name, ""), saved.values.get(name, "")
        if _same(mine) == _same(theirs):
            continue
        before = loaded["values"].get(name) if loaded else None
        if before is not None and _same(theirs) == _same(before):
            continue  # only this user changed it: no conflict
        if before is not None and _same(mine) == _same(before):
            taken.append(Difference(label, theirs, mine))
            typed.values[name] = theirs
        else:
            conflicts.append(Difference(label, theirs, mine))
    mine_refs, theirs_refs = _references_text(typed), _references_text(saved)
    if mine_refs != theirs_refs:
        before_refs = _references_text(ListingForm({}, loaded["references"])) if loaded else None
        if before_refs is not None and before_refs == theirs_refs:
            pass
        elif before_refs is not None and before_refs == mine_refs:
            taken.append(Difference("Références clients", theirs_refs, mine_refs))
            typed.references = [dict(r) for r in saved.references]
        else:
            conflicts.append(Difference("Références clients", theirs_refs, mine_refs))
    typed.version = saved.version
    typed.loaded = saved.snapshot()
    return Merge(conflicts, taken)


def differences(saved: ListingForm, typed: ListingForm, is_staff: bool) -> list[Difference]:
    """Field by field, where what was saved meanwhile and what was typed differ."""
    found = [
        Difference(label, saved.values.get(name, ""), typed.values.get(name, ""))
        for name, label in labels_of(is_staff).items()
        if _same(saved.values.get(name, "")) != _same(typed.values.get(name, ""))
    ]
    saved_refs, typed_refs = _references_text(saved), _references_text(typed)
    if saved_refs != typed_refs:
        found.append(Difference("Références clients", saved_refs, typed_refs))
    return found


def _same(text: str) -> str:
    return " ".join(text.split())


def _references_text(form: ListingForm) -> str:
    return "\n".join(
        r["name"].strip() + (f" — {r['description'].strip()}" if r["description"].strip() else "")
        for r in form.references
        if r["name"].strip() or r["description"].strip()
    )


def pick_commune(
    candidates: Sequence[Mapping[str, Any]], postcode: str, city: str
) -> tuple[Mapping[str, Any] | None, str | None]:
    """The commune a postcode and a city name designate, or the message shown beside the
    field: none has this postcode, or several do and the name does not say which."""
    with_code = [c for c in candidates if postcode in (c.get("postcodes") or [])]
    if not with_code:
        return None, f"Aucune commune n'a le code postal {postcode}."
    named = [c for c in with_code if fold(str(c.get("name", ""))) == fold(city)]
    if len(named) == 1:
        return named[0], None
    if len(with_code) == 1:
        return with_code[0], None
    names = ", ".join(str(c.get("name")) for c in with_code[:8])
    return None, f"Plusieurs communes ont le code postal {postcode} : indiquez la vôtre ({names})."
