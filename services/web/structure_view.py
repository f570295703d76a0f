"""A structure's page: the API's aggregate (identity, kind, activities, offers, references),
its nearby similar suppliers and the sources of its data, as the page shows them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from services.domain.kinds import FAMILY_LABELS, PRESTA_TYPE_LABELS, Family, Kind
from services.domain.reservations import RESERVATION_LABELS, Reservation, reservations_of
from services.web.api import Api, ApiProblem
from services.web.places import Territories, territories
from services.web.sectors import sector_catalogue
from services.web.sessions import SignedIn

NEARBY_RADIUS_KM = 50
NEARBY_COUNT = 6
MAX_COMMUNE_LOOKUPS = 30
MAX_BACK_QUERY = 2000

# Where the catalog's data comes from, as the page cites it.
SOURCES: dict[str, tuple[str, str | None]] = {
    "ASP": (
        "Agence de services et de paiement (ASP) — structures d'insertion conventionnées, "
        "instantané 2019–2021 publié en données ouvertes (Licence Ouverte 2.0)",
        "https://www.data.gouv.fr/fr/datasets/?q=structures+insertion+activite+economique",
    ),
    "FINESS": (
        "FINESS (ministère des Solidarités, DREES) — liste des ESAT, extrait 2026 "
        "(Licence Ouverte 2.0)",
        "https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
    ),
    "GEIQ": (
        "Liste des GEIQ de la plateforme de l'inclusion, instantané 2019–2021 (Licence Ouverte 2.0)",
        "https://www.data.gouv.fr/fr/datasets/?q=GEIQ",
    ),
    "EA_EATT": (
        "Liste des entreprises adaptées de la plateforme de l'inclusion (Licence Ouverte 2.0)",
        "https://www.data.gouv.fr/fr/datasets/?q=entreprises+adaptees",
    ),
    "naf": (
        "Activités déduites du code NAF (INSEE, nomenclature NAF rév. 2) par Marché inclusif",
        "https://www.insee.fr/fr/information/2120875",
    ),
    "manager": ("Déclaré par un gestionnaire de la structure", None),
    "staff": ("Corrigé par l'équipe de Marché inclusif", None),
    "USER_CREATED": ("Fiche créée par un utilisateur de la plateforme", None),
    "STAFF_CREATED": ("Fiche créée par l'équipe de la plateforme", None),
}
GEOGRAPHY_SOURCE = (
    "Code officiel géographique (INSEE), codes postaux (La Poste), quartiers prioritaires (ANCT), "
    "zones de revitalisation rurale 2022 — Licence Ouverte 2.0",
    "https://www.insee.fr/fr/information/2560452",
)
RESERVATION_WORDS: dict[Reservation, str] = {
    Reservation.DISABILITY: (
        "Peut répondre seule à un marché ou à un lot réservé au titre de l'article L2113-12 du "
        "code de la commande publique (structures employant au moins 50 % de travailleurs "
        "handicapés)."
    ),
    Reservation.INSERTION: (
        "Peut répondre seule à un marché ou à un lot réservé au titre de l'article L2113-13 du "
        "code de la commande publique (structures employant au moins 50 % de personnes "
        "défavorisées)."
    ),
}
NO_RESERVATION_WORDS: dict[Kind, str] = {
    Kind.GEIQ: (
        "Un GEIQ n'est pas visé par les marchés réservés des articles L2113-12 et L2113-13 ; "
        "il aide un titulaire à réaliser les heures d'une clause sociale d'insertion (L2112-2)."
    ),
    Kind.SEP: (
        "Le travail en détention relève d'une réservation propre (article L2113-13-1), distincte "
        "des articles L2113-12 et L2113-13."
    ),
}
CLAUSE_WORDS = (
    "Elle peut aussi être cotraitante ou sous-traitante d'une entreprise qui doit réaliser les "
    "heures d'insertion d'une clause sociale (L2112-2), ou faire valoir un critère social (L2152-7)."
)
DISABILITY_PURCHASE_WORDS = (
    "Pour une entreprise soumise à l'obligation d'emploi de travailleurs handicapés, une partie "
    "de ses achats auprès d'EA et d'ESAT se déduit de sa contribution annuelle."
)


@dataclass
class ActivityView:
    sector: str
    sector_name: str
    presta_types: list[str]
    range_label: str
    zones: list[str]
    inferred: bool


@dataclass
class SourceView:
    label: str
    url: str | None
    date: str | None
    fields: int


@dataclass
class StructurePage:
    structure: dict[str, Any]
    kind_words: list[str]
    activity_groups: list[tuple[str, list[ActivityView]]]
    has_inferred: bool
    offers: list[dict[str, Any]]
    nearby: list[dict[str, Any]]
    nearby_search: str
    sources: list[SourceView]
    back_query: str | None
    department_name: str | None
    region_name: str | None
    facts: list[tuple[str, str]] = field(default_factory=list)


def back_query(depuis: str | None) -> str | None:
    """The results' query string the visitor came from, rebuilt from its pairs (never a URL)."""
    if not depuis:
        return None
    pairs = parse_qsl(depuis.lstrip("?")[:MAX_BACK_QUERY], keep_blank_values=False)
    return urlencode(pairs) if pairs else None


def kind_words(structure: Mapping[str, Any]) -> list[str]:
    """What the kind of structure allows a buyer, in plain words."""
    kind = Kind(structure["kind"])
    words = [RESERVATION_WORDS[r] for r in reservations_of(kind)]
    if kind in NO_RESERVATION_WORDS:
        words.append(NO_RESERVATION_WORDS[kind])
    words.append(CLAUSE_WORDS)
    if structure.get("family") == Family.HANDICAP:
        words.append(DISABILITY_PURCHASE_WORDS)
    return words


def reservation_badges(kind: str) -> list[tuple[str, str]]:
    return [(r.value, RESERVATION_LABELS[r]) for r in reservations_of(Kind(kind))]


def zone_label(
    zone: Mapping[str, Any], commune_names: Mapping[str, str], known: Territories
) -> str:
    code = str(zone.get("code", ""))
    match zone.get("type"):
        case "commune":
            return commune_names.get(code, f"Commune {code}")
        case "departement":
            return known.department_label(code)
        case "region":
            return known.region_label(code)
    return code


def range_label(activity: Mapping[str, Any]) -> str:
    match activity.get("range"):
        case "country":
            return "France entière"
        case "radius":
            return f"Dans un rayon de {activity.get('radius_km')} km autour de la structure"
        case "zones":
            return "Sur les territoires suivants"
    return "Zone non précisée"


async def _commune_names(
    api: Api, codes: list[str], user: SignedIn | None, client_ip: str | None
) -> dict[str, str]:
    async def name_of(code: str) -> tuple[str, str] | None:
        try:
            rows = await api.get(
                "/reference/communes", params={"q": code}, user=user, client_ip=client_ip
            )
        except ApiProblem:
            return None
        found = next((r for r in rows if r.get("code") == code), None)
        return (code, f"{found['name']} ({code})") if found else None

    found = await asyncio.gather(*(name_of(c) for c in codes[:MAX_COMMUNE_LOOKUPS]))
    return dict(pair for pair in found if pair)


def main_sector(activities: list[Mapping[str, Any]]) -> str | None:
    """The sector the structure declared first, else the first one inferred."""
    declared = [a for a in activities if not a.get("inferred")]
    chosen = declared or activities
    return str(chosen[0]["sector"]) if chosen else None


def nearby_query(structure: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A search for similar suppliers: its main sector (or family) around its location."""
    params: list[tuple[str, str]] = []
    sector = main_sector(structure.get("activities", []))
    if sector:
        params.append(("sector", sector))
    else:
        params.append(("family", str(structure["family"])))
    if structure.get("latitude") is not None and structure.get("longitude") is not None:
        params += [
            ("lat", str(structure["latitude"])),
            ("lng", str(structure["longitude"])),
            ("radius_km", str(NEARBY_RADIUS_KM)),
            ("sort", "distance"),
        ]
    elif structure.get("department_code"):
        params.append(("department", str(structure["department_code"])))
    return params


async def _nearby(
    api: Api, structure: Mapping[str, Any], user: SignedIn | None, client_ip: str | None
) -> list[dict[str, Any]]:
    params = [*nearby_query(structure), ("per_page", str(NEARBY_COUNT + 1))]
    try:
        answer = await api.get("/search", params=params, user=user, client_ip=client_ip)
    except ApiProblem:
        return []
    hits = [h for h in answer.get("hits", []) if h.get("id") != structure["id"]]
    return hits[:NEARBY_COUNT]


def sources_of(structure: Mapping[str, Any]) -> list[SourceView]:
    """Each source the page's fields come from, with the latest date it was read."""
    by_source: dict[str, list[str]] = {}
    for stamp in structure.get("field_sources", {}).values():
        by_source.setdefault(str(stamp.get("source")), []).append(str(stamp.get("at", "")))
    if not by_source and structure.get("source"):
        by_source[str(structure["source"])] = []
    views = []
    for source, dates in sorted(by_source.items(), key=lambda item: -len(item[1])):
        label, url = SOURCES.get(source, (f"Source : {source}", None))
        views.append(SourceView(label, url, max(dates) if dates else None, len(dates)))
    views.append(SourceView(GEOGRAPHY_SOURCE[0], GEOGRAPHY_SOURCE[1], None, 0))
    return views


def _facts(structure: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = []
    if structure.get("year_founded"):
        facts.append(("Année de création", str(structure["year_founded"])))
    if structure.get("headcount_insertion") is not None:
        facts.append(("Salariés en insertion", str(structure["headcount_insertion"])))
    if structure.get("headcount_permanent") is not None:
        facts.append(("Salariés permanents", str(structure["headcount_permanent"])))
    return facts


async def _given(value: Any) -> Any:
    return value


async def load(
    api: Api,
    structure_id: int,
    depuis: str | None,
    user: SignedIn | None,
    client_ip: str | None,
    user_agent: str | None = None,
) -> StructurePage:
    """The page's data; an unknown id raises the API's 404 `ApiProblem`. The record and offers
    come from the public page's aggregate, which counts the visit (with the visitor's browser)."""
    context: dict[str, Any] = {"user": user, "client_ip": client_ip}
    aggregate = await api.get(f"/structures/{structure_id}/page", user_agent=user_agent, **context)
    structure = aggregate["structure"]
    activities: list[dict[str, Any]] = structure.get("activities", [])
    commune_codes = sorted(
        {
            str(z["code"])
            for a in activities
            for z in a.get("zones", [])
            if z.get("type") == "commune"
        }
    )
    offers_task = (
        _given(aggregate["offers"])
        if aggregate.get("offers") is not None
        else api.get(f"/structures/{structure_id}/offers", **context)
    )
    catalogue, offers, nearby, communes, known = await asyncio.gather(
        sector_catalogue(api),
        offers_task,
        _nearby(api, structure, user, client_ip),
        _commune_names(api, commune_codes, user, client_ip),
        territories(api, client_ip),
    )
    groups: dict[str, list[ActivityView]] = {}
    for activity in activities:
        slug = str(activity["sector"])
        view = ActivityView(
            sector=slug,
            sector_name=catalogue.names.get(slug, slug),
            presta_types=[PRESTA_TYPE_LABELS.get(p, p) for p in activity.get("presta_types", [])],
            range_label=range_label(activity),
            zones=[zone_label(z, communes, known) for z in activity.get("zones", [])],
            inferred=bool(activity.get("inferred")),
        )
        groups.setdefault(catalogue.group_of.get(slug, "Autres secteurs"), []).append(view)
    for offer in offers:
        offer["sector_name"] = catalogue.names.get(offer.get("sector", ""), offer.get("sector"))
        presta = offer.get("presta_type")
        offer["presta_label"] = PRESTA_TYPE_LABELS.get(presta, presta)
    structure["family_label"] = FAMILY_LABELS.get(structure["family"], structure["family"])
    structure["reservation_badges"] = reservation_badges(structure["kind"])
    return StructurePage(
        structure=structure,
        kind_words=kind_words(structure),
        activity_groups=sorted(groups.items()),
        has_inferred=any(a.get("inferred") for a in activities),
        offers=[o for o in offers if o.get("is_active", True)],
        nearby=nearby,
        nearby_search=urlencode(nearby_query(structure)),
        sources=sources_of(structure),
        back_query=back_query(depuis),
        department_name=known.department_name(str(structure.get("department_code") or "")),
        region_name=known.region_name(str(structure.get("region_code") or "")),
        facts=_facts(structure),
    )
