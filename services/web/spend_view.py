"""An organisation's spend as the pages show it: the upload and column-mapping forms turned into
the API's fields, the import's outcome, the dashboard's breakdowns as charts beside their tables,
the gaps in words, the matching of suppliers and its filters."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.datastructures import FormData

from services.domain.kinds import FAMILY_LABELS, KIND_LABELS
from services.web.api import ApiProblem
from services.web.backoffice_view import french_time
from services.web.charts import Bar, share_bars, year_columns
from services.web.history_view import day_label, local
from services.web.ranking_view import percent
from services.web.search_view import Pagination, page_links
from services.web.templating import number, query

# The API refuses bigger files (413); the website says so beside the field before sending.
UPLOAD_CAP_BYTES = 200 * 1024 * 1024
UPLOAD_CAP_TEXT = "200 Mo"
ACCEPTED = ".csv,.xlsx"
SUPPLIERS_PER_PAGE = 50
FAMILIES = {family.value: label for family, label in FAMILY_LABELS.items()}
KINDS = {kind.value: label for kind, label in KIND_LABELS.items()}

# The mapping's fields, in the form's order: (field, label, hint).
MAPPING_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("supplier_siret", "SIRET du fournisseur", "14 chiffres ; le plus sûr pour reconnaître"),
    ("supplier_siren", "SIREN du fournisseur", "9 chiffres, quand le SIRET manque"),
    ("supplier_name", "Nom du fournisseur", "Avec le code postal, propose des rapprochements"),
    ("supplier_postcode", "Code postal du fournisseur", ""),
    ("amount", "Montant HT", "Obligatoire : montant hors taxes de chaque ligne"),
    ("category", "Catégorie d'achat", "Permet l'analyse par catégorie"),
    ("buying_entity", "Entité acheteuse", "Filiale, site ou service qui achète"),
    ("date", "Date", "Les lignes hors de l'année choisie sont refusées"),
    ("site_postcode", "Code postal du site livré", "Pour repérer les fournisseurs proches"),
)
MAPPING_NAMES = tuple(name for name, _, _ in MAPPING_FIELDS)
IDENTITY_FIELDS = ("supplier_siret", "supplier_siren", "supplier_name")
REQUIRED_FIELDS = ("amount",)

MATCHES: dict[str, tuple[str, str]] = {
    # match -> (label, badge)
    "siret": ("Reconnu par SIRET", "success"),
    "siren": ("Reconnu par SIREN (autre établissement)", "success"),
    "confirmed": ("Rapprochement confirmé", "success"),
    "suggested": ("Rapprochement à confirmer", "warning"),
    "none": ("Non inclusif ou non reconnu", "info"),
}
MATCH_METHODS = (
    ("siret", "Par SIRET : l'établissement du catalogue"),
    ("siren", "Par SIREN : un autre établissement de la même entreprise"),
    ("confirmed", "Rapprochements confirmés par vous"),
    ("suggested", "Rapprochements par nom et code postal, à confirmer"),
    ("none", "Aucune structure inclusive reconnue"),
)
STATUSES: dict[str, tuple[str, str]] = {
    "running": ("En cours", "info"),
    "active": ("En vigueur", "success"),
    "replaced": ("Remplacé", "new"),
    "failed": ("Échec", "error"),
}
TERRITORIES = {
    "qpv": "Quartier prioritaire de la ville (QPV)",
    "zrr": "Zone de revitalisation rurale (ZRR)",
    "other": "Ni QPV ni ZRR",
}
COLUMN_LABELS = {
    "supplier_siret": "SIRET",
    "supplier_siren": "SIREN",
    "supplier_name": "nom",
    "supplier_postcode": "code postal",
    "amount": "montant",
    "category": "catégorie",
    "buying_entity": "entité acheteuse",
    "date": "date",
    "site_postcode": "code postal du site",
}


def euros(value: Any) -> str:
    """12 345,67 € (cents shown only when there are some)."""
    if value is None or value == "":
        return ""
    amount = float(value)
    decimals = 0 if amount == round(amount) else 2
    return f"{number(amount, decimals)}\u00a0€"


def years_offered(today: date | None = None) -> list[int]:
    """The years an upload may be for: this one and the five before."""
    year = (today or date.today()).year
    return list(range(year, year - 6, -1))


def read_year(text: str, today: date | None = None) -> tuple[int | None, str | None]:
    plain = text.strip()
    if not plain:
        return None, "choisissez l'année des achats"
    if not plain.isdigit() or int(plain) not in years_offered(today):
        return None, "choisissez une année de la liste"
    return int(plain), None


def file_problem(problem: ApiProblem) -> str:
    """The API's refusal of a file, as one sentence beside the file field."""
    if problem.status == 413:
        return too_large()
    messages = [e.message for e in problem.errors if e.message]
    text = messages[0] if messages else (problem.detail or problem.title)
    line = problem.body.get("line")
    if isinstance(line, int) and f"ligne {line}" not in text:
        text = f"{text} (ligne {line})"
    return text


def too_large() -> str:
    return f"le fichier dépasse {UPLOAD_CAP_TEXT} : découpez-le ou retirez des colonnes inutiles"


@dataclass
class MappingForm:
    """The column-mapping form as sent: values shown again, the API's body, errors by field."""

    values: dict[str, str]
    year: int | None
    mapping: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def mapping_values(file: Mapping[str, Any], year: int | None) -> dict[str, str]:
    """The form's first values: the API's suggested columns, and the year."""
    suggested = file.get("suggested_mapping") or {}
    columns = set(file.get("columns") or [])
    values = {name: str(suggested.get(name) or "") for name in MAPPING_NAMES}
    values = {name: column if column in columns else "" for name, column in values.items()}
    values["year"] = str(year or "")
    return values


def read_mapping(form: FormData, columns: Sequence[str], today: date | None = None) -> MappingForm:
    values: dict[str, str] = {}
    for name in (*MAPPING_NAMES, "year"):
        sent = form.get(name)
        values[name] = sent.strip()[:300] if isinstance(sent, str) else ""
    errors: dict[str, str] = {}
    year, error = read_year(values["year"], today)
    if error:
        errors["year"] = error
    known = set(columns)
    mapping: dict[str, str] = {}
    for name in MAPPING_NAMES:
        column = values[name]
        if not column:
            continue
        if column not in known:
            errors[name] = "choisissez une colonne du fichier"
        else:
            mapping[name] = column
    if "amount" not in mapping and "amount" not in errors:
        errors["amount"] = "choisissez la colonne du montant hors taxes"
    if not any(name in mapping for name in IDENTITY_FIELDS):
        errors.setdefault(
            "supplier_siret",
            "choisissez au moins la colonne du SIRET, du SIREN ou du nom du fournisseur",
        )
    return MappingForm(values, year, mapping, errors)


def problem_fields(problem: ApiProblem, known: Sequence[str]) -> dict[str, str]:
    """The API's messages by form field (`mapping.amount`, `/body/mapping/amount`, `year`…);
    what no field takes goes under `_`, above the form."""
    found: dict[str, str] = {}
    for error in problem.errors:
        parts = [p for p in re.split(r"[./]", error.field) if p]
        name = next((p for p in reversed(parts) if p in known), "_")
        found.setdefault(name, error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


# The dashboard.


def _row_label(key: str, label: str | None, labels: Mapping[str, str]) -> str:
    return labels.get(key) or label or key or "Non renseigné"


def breakdown(
    rows: Sequence[Mapping[str, Any]],
    *,
    chart_id: str,
    title: str,
    labels: Mapping[str, str] | None = None,
    share_key: str = "share",
    limit: int = 12,
) -> Markup:
    """A breakdown as bars (the largest first, at most `limit`; the table beside holds all)."""
    bars = [
        Bar(
            _row_label(str(row.get("key") or ""), row.get("label"), labels or {}),
            float(row.get(share_key) or 0),
            percent(row.get(share_key) or 0),
        )
        for row in rows[:limit]
    ]
    return share_bars(bars, chart_id=chart_id, title=title)


def years_chart(years: Sequence[Mapping[str, Any]], name: str) -> Markup:
    bars = [
        Bar(str(y["year"]), float(y.get("inclusive_share") or 0), percent(y.get("inclusive_share")))
        for y in years
    ]
    return year_columns(
        bars,
        chart_id="graphique-annees",
        title=f"Part inclusive des achats de {name}, par année",
    )


def label_of(kind: str, key: str, label: str | None = None) -> str:
    """A breakdown row's name: the family, kind, territory or région named in French."""
    table = {"family": FAMILIES, "kind": KINDS, "territory": TERRITORIES}.get(kind, {})
    return table.get(key) or label or key or "Non renseigné"


def gap_sentence(gap: Mapping[str, Any]) -> str:
    """« Vous achetez Nettoyage dans le 69 auprès d'aucun fournisseur inclusif ; 12 existent. »"""
    available = int(gap.get("available") or 0)
    what = gap.get("category") or gap.get("sector_label") or ""
    where = gap.get("department") or ""
    exist = "existe" if available == 1 else "existent"
    return (
        f"Vous achetez {what} dans le {where} auprès d'aucun fournisseur inclusif ; "
        f"{number(available)} {exist}."
    )


def safe_link(url: Any) -> str:
    """The API's link to the search, made relative: it always opens this site's search page,
    whatever host the API was told the website has."""
    parts = urlsplit(str(url or ""))
    if parts.path != "/recherche":
        return ""
    return f"/recherche?{parts.query}" if parts.query else "/recherche"


@dataclass
class Drill:
    """The dashboard's filters from the address: a category, a buying entity."""

    category: str = ""
    buying_entity: str = ""

    @property
    def params(self) -> dict[str, str]:
        found = {"category": self.category, "buying_entity": self.buying_entity}
        return {k: v for k, v in found.items() if v}

    def href(self, base: str, **changes: str | None) -> str:
        current = {"categorie": self.category, "entite": self.buying_entity}
        text = query(current, **changes)
        return f"{base}?{text}" if text else base

    def tags(self, base: str) -> list[tuple[str, str]]:
        """(label, href that removes it) of each active filter."""
        found = []
        if self.category:
            found.append((f"Catégorie : {self.category}", self.href(base, categorie=None)))
        if self.buying_entity:
            found.append((f"Entité : {self.buying_entity}", self.href(base, entite=None)))
        return found


def read_drill(categorie: str, entite: str) -> Drill:
    return Drill(categorie.strip()[:200], entite.strip()[:200])


# The suppliers' page.


@dataclass
class SupplierQuery:
    match: str = ""
    q: str = ""
    page: int = 1

    @property
    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {"page": self.page, "per_page": SUPPLIERS_PER_PAGE}
        if self.match:
            found["match"] = self.match
        if self.q:
            found["q"] = self.q
        return found

    def href(self, base: str, **changes: Any) -> str:
        current = {"correspondance": self.match, "q": self.q, "page": self.page}
        if "page" not in changes:
            changes["page"] = None
        current = {k: v for k, v in current.items() if v not in ("", None, 1)}
        text = query(current, **changes)
        return f"{base}?{text}" if text else base


def read_supplier_query(correspondance: str, q: str, page: int) -> SupplierQuery:
    match = correspondance if correspondance in MATCHES else ""
    return SupplierQuery(match, q.strip()[:100], max(1, page))


def supplier_pages(wanted: SupplierQuery, total: int, base: str) -> Pagination | None:
    last = math.ceil(total / SUPPLIERS_PER_PAGE)
    if last <= 1:
        return None
    href: Callable[[int], str] = lambda n: wanted.href(base, page=n if n > 1 else None)  # noqa: E731
    return page_links(min(wanted.page, last), last, href)


def read_categories(
    form: FormData, labels: Sequence[str], sectors: Mapping[str, str]
) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, str]]:
    """The categories form: one select per category (its index in the list), each a sector's
    slug or empty."""
    values: dict[str, str] = {}
    mappings: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n, label in enumerate(labels):
        sent = form.get(f"secteur-{n}")
        slug = sent.strip() if isinstance(sent, str) else ""
        values[label] = slug
        if slug and slug not in sectors:
            errors[f"secteur-{n}"] = "choisissez un secteur de la liste"
            continue
        mappings.append({"label": label, "sector": slug or None})
    return values, mappings, errors


def read_sites(chosen: Sequence[str], known: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The départements kept and added: known codes only."""
    wrong = [code for code in chosen if code not in known]
    errors = {"departements": "choisissez des départements de la liste"} if wrong else {}
    return sorted(set(chosen) - set(wrong)), errors


def category_errors(
    problem: ApiProblem, labels: Sequence[str], sent: Sequence[str]
) -> dict[str, str]:
    """The API's `mappings[i].sector` messages beside the select of that category."""
    found: dict[str, str] = {}
    for error in problem.errors:
        index = re.search(r"mappings\D*(\d+)", error.field)
        if index and int(index.group(1)) < len(sent) and sent[int(index.group(1))] in labels:
            found.setdefault(f"secteur-{labels.index(sent[int(index.group(1))])}", error.message)
        else:
            found.setdefault("_", error.message)
    if not found:
        found["_"] = problem.detail or problem.title
    return found


def who(upload: dict[str, Any], mine: str | None) -> str:
    """Who started an import: « Vous », the member's address, or « Un ancien membre » when
    they have left the organisation."""
    started_by = str(upload.get("started_by") or "")
    if not started_by:
        return "—"
    if mine and started_by == mine:
        return "Vous"
    return str(upload.get("started_by_email") or "Un ancien membre")


def when(value: Any) -> str:
    """« 30 novembre 2026 à 14 h 05 », Paris time, from the API's date-time."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        return f"{day_label(local(value))} à {french_time(value)}"
    except ValueError:
        return value
