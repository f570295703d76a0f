"""What the law and the market say of a purchase project: the market depth on its place and
domain, the options it may take and what each requires, its insertion hours, whether the loi
Climat et Résilience applies, and whether a social consideration is expected."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.common.db import utcnow
from services.sourcing.market import law
from services.sourcing.market.schemas import MarketDepth
from services.sourcing.market.service import (
    MIN_SUPPLIERS_FOR_RESERVATION,
    insertion_hours,
    market_depth,
)
from services.sourcing.projects.models import Organisation, Project
from services.sourcing.projects.vocabulary import (
    OPTION_ARTICLES,
    OPTION_LABELS,
    OPTION_REQUIRES,
    RESERVATIONS,
    ContractKind,
    OptionCode,
    climate_threshold,
)
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.request import SearchParameters
from services.sourcing.search.vocabulary import SearchVocabulary

CLIMATE_LAW_IN_FORCE = date.fromisoformat(str(law.CLIMATE_LAW["in_force_from"]))


def euros(amount: float) -> str:
    return f"{amount:,.0f} €".replace(",", "\u202f")


def hours_text(hours: float) -> str:
    """Hours as the French write them: « 1 234,5 » (a comma, a narrow space between thousands)."""
    text = f"{hours:,.1f}".replace(",", "\u202f").replace(".", ",")
    return text.removesuffix(",0")


def place_label(vocabulary: SearchVocabulary, level: str, code: str) -> str:
    if level == "commune":
        commune = vocabulary.communes.get(code)
        return f"{commune.name} ({code})" if commune else code
    names = (
        vocabulary.department_names if level == "departement" else vocabulary.region_names
    ) or {}
    return f"{names.get(code, code)} ({code})"


def sector_labels(vocabulary: SearchVocabulary, slugs: list[str]) -> list[str]:
    labels = {r["secteur_slug"]: r["secteur"] for r in vocabulary.sector_rows}
    return [labels.get(slug, slug) for slug in slugs]


async def depth_of(
    engine: SearchEngine, vocabulary: SearchVocabulary, project: Project
) -> MarketDepth:
    """The market depth of GET /v1/market-depth for the project's domain and place."""
    place = [project.place_code]
    level = project.place_level
    parameters = SearchParameters(
        sector=list(project.sectors) or None,
        cpv=list(project.cpv) or None,
        department=place if level == "departement" else None,
        commune=place if level == "commune" else None,
        region=place if level == "region" else None,
    )
    return await market_depth(engine, parameters.resolve(vocabulary))


def _climate_law(organisation: Organisation, project: Project, today: date) -> dict[str, Any]:
    threshold = climate_threshold(organisation.buyer_kind, project.contract_kind)
    if threshold is None:
        return {
            "applies": False,
            "threshold_eur": 0,
            "text": (
                f"{law.CLIMATE_LAW['text']} Une entreprise privée n'est pas soumise au Code de "
                "la commande publique : l'obligation ne s'applique pas."
            ),
        }
    in_force = today >= CLIMATE_LAW_IN_FORCE
    applies = in_force and project.estimated_amount_eur >= threshold
    kind = "travaux" if project.contract_kind == ContractKind.TRAVAUX else "fournitures et services"
    verdict = (
        f"Le montant estimé ({euros(project.estimated_amount_eur)} HT) atteint le seuil européen "
        f"de {euros(threshold)} HT ({kind}, 2026–2027) : le marché doit comporter des "
        "considérations sociales."
        if applies
        else f"Le montant estimé ({euros(project.estimated_amount_eur)} HT) est sous le seuil "
        f"européen de {euros(threshold)} HT ({kind}, 2026–2027)."
    )
    if not in_force:
        verdict = f"L'obligation s'applique à partir du {CLIMATE_LAW_IN_FORCE:%d/%m/%Y}."
    return {
        "applies": applies,
        "threshold_eur": threshold,
        "text": (
            f"{str(law.CLIMATE_LAW['text']).removesuffix('.')} (article L2112-2-1 du Code de "
            f"la commande publique). {verdict}"
        ),
    }


def _options(depth: MarketDepth, hours: float, expected: bool) -> list[dict[str, Any]]:
    by_article = {o.article: o for o in depth.options}
    options = []
    for code in OptionCode:
        available, eligible, why = True, None, ""
        if code in RESERVATIONS:
            market = by_article[RESERVATIONS[code].value]
            eligible = market.eligible_suppliers
            available = (eligible or 0) >= MIN_SUPPLIERS_FOR_RESERVATION
            why = market.why
        elif code == OptionCode.CLAUSE:
            why = (
                f"Toujours possible ; le calculateur donne {hours_text(hours)} heures "
                "d'insertion pour ce marché."
            )
        elif code == OptionCode.CRITERION:
            why = by_article[law.SOCIAL_CRITERION["article"]].why
        else:
            why = (
                "Possible, mais une considération sociale est attendue : une justification "
                "documentée est obligatoire."
                if expected
                else "Possible : aucune considération sociale n'est attendue pour ce marché."
            )
        options.append(
            {
                "code": code.value,
                "article": OPTION_ARTICLES[code],
                "label": OPTION_LABELS[code],
                "available": available,
                "eligible_suppliers": eligible,
                "requires": OPTION_REQUIRES[code],
                "why": why,
            }
        )
    return options


def _sources(depth: MarketDepth, at: datetime) -> list[str]:
    day = f"{at:%d/%m/%Y}"
    return [
        f"Annuaire Marché inclusif, index de recherche interrogé le {day} : structures dont une "
        "activité déclarée sert ce domaine sur ce territoire "
        f"({depth.eligible_suppliers} trouvée(s)).",
        "Données des structures : ASP (SIAE), FINESS/DREES (ESAT), listes des entreprises "
        "adaptées ; INSEE (SIRENE, géographie), La Poste (codes postaux) — Licence Ouverte 2.0.",
        "Code de la commande publique : articles L2113-12, L2113-13, R2113-7, L2112-2, L2152-7, "
        "R2152-7 ; seuils européens 2026–2027.",
        "Loi n° 2021-1104 du 22 août 2021 (Climat et Résilience), article 35.",
    ]


async def evaluate(
    engine: SearchEngine,
    vocabulary: SearchVocabulary,
    organisation: Organisation,
    project: Project,
) -> dict[str, Any]:
    """The evaluation as of now, as the project stores and shows it."""
    now = utcnow()
    depth = await depth_of(engine, vocabulary, project)
    parameters = project.hours_parameters
    hours = insertion_hours(
        project.estimated_amount_eur,
        parameters["labour_share_percent"],
        parameters["insertion_rate_percent"],
        parameters["hourly_cost_eur"],
    )
    climate = _climate_law(organisation, project, now.date())
    because = []
    if climate["applies"]:
        because.append(
            "La loi Climat et Résilience s'applique : le montant atteint le seuil européen de "
            f"{euros(climate['threshold_eur'])} HT."
        )
    threshold = organisation.hours_threshold
    if threshold is not None and hours.hours >= threshold:
        because.append(
            f"Le marché représente {hours_text(hours.hours)} heures d'insertion, au moins le "
            f"seuil de {hours_text(threshold)} heures fixé par l'organisation."
        )
    expected = bool(because)
    return {
        "evaluated_at": now.isoformat(),
        "sources": _sources(depth, now),
        "market": depth.model_dump(mode="json"),
        "options": _options(depth, hours.hours, expected),
        "insertion_hours": hours.model_dump(mode="json"),
        "climate_law": climate,
        "hours_threshold": threshold,
        "social_consideration_expected": expected,
        "expected_because": because,
    }
