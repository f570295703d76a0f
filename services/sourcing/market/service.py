"""Market depth before a tender: how many inclusive suppliers serve a need there, and what
the law then allows; and the insertion hours a social clause asks for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.domain.reservations import Reservation
from services.domain.search_index import is_location
from services.sourcing.market import law
from services.sourcing.market.schemas import InsertionHours, MarketDepth, Option
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.places import Place, Territory
from services.sourcing.search.service import SearchRequest, filters_for

# Below this many eligible suppliers, reserving a contract risks an unsuccessful tender.
MIN_SUPPLIERS_FOR_RESERVATION = 3


def _local(request: SearchRequest) -> SearchRequest:
    places = [
        Place(
            p.level,
            p.code,
            p.label,
            p.centre,
            frozenset(t for t in p.tokens if is_location(t)),
        )
        for p in request.territory.places
    ]
    return replace(request, territory=Territory(places))


async def _count(
    engine: SearchEngine, search: SearchRequest, facets: list[str]
) -> tuple[int, dict[str, Any]]:
    radii = await engine.radius_values()
    result = await engine.search(
        "", filter=filters_for(search, radii) or None, facets=facets, page=1, hits_per_page=1
    )
    return result.total_hits or 0, result.facet_distribution or {}


async def market_depth(engine: SearchEngine, search: SearchRequest) -> MarketDepth:
    total, facets = await _count(engine, search, ["family", "kind", "reservations"])
    local = 0
    if not search.territory.empty:
        local, _ = await _count(engine, _local(search), [])
    reservations = facets.get("reservations", {})
    disability = reservations.get(Reservation.DISABILITY, 0)
    insertion = reservations.get(Reservation.INSERTION, 0)
    enough = MIN_SUPPLIERS_FOR_RESERVATION

    def reservation(rule: dict[str, Any], count: int) -> Option:
        possible = count >= enough
        why = (
            f"{count} structures éligibles servent ce besoin : une réservation peut susciter une concurrence suffisante."
            if possible
            else f"{count} structure(s) éligible(s) seulement (moins de {enough}) : la réservation risque l'infructuosité."
        )
        return Option(
            article=rule["article"],
            label=rule["label"],
            possible=possible,
            eligible_suppliers=count,
            why=why,
        )

    options = [
        reservation(law.RESERVATION_DISABILITY, disability),
        reservation(law.RESERVATION_INSERTION, insertion),
    ]
    if disability >= enough and insertion >= enough:
        options.append(
            Option(
                article=f"{Reservation.DISABILITY} et {Reservation.INSERTION}",
                label="Marché réservé aux deux familles à la fois",
                possible=True,
                eligible_suppliers=disability + insertion,
                why="Les deux familles sont présentes en nombre suffisant.",
            )
        )
    options += [
        Option(
            **law.SOCIAL_CLAUSE,
            possible=True,
            why="Toujours possible ; dimensionnez-la avec le calculateur d'heures d'insertion.",
        ),
        Option(
            **law.SOCIAL_CRITERION,
            possible=True,
            why="Toujours possible, en complément ou à défaut de réservation.",
        ),
    ]
    return MarketDepth(
        domain=search.domain,
        territory=[f"{p.level} {p.code}" for p in search.territory.places],
        eligible_suppliers=total,
        local_suppliers=local,
        by_family=facets.get("family", {}),
        by_kind=facets.get("kind", {}),
        options=options,
        law={
            "minimum_share": law.MINIMUM_SHARE,
            "climate_law": law.CLIMATE_LAW,
            "european_thresholds_2026_2027_eur_ht": law.EUROPEAN_THRESHOLDS_2026_2027,
        },
    )


def insertion_hours(
    amount_eur: float,
    labour_share_percent: float,
    insertion_rate_percent: float,
    hourly_cost_eur: float,
) -> InsertionHours:
    hours = amount_eur * labour_share_percent / 100 * insertion_rate_percent / 100 / hourly_cost_eur
    return InsertionHours(
        amount_eur=amount_eur,
        labour_share_percent=labour_share_percent,
        insertion_rate_percent=insertion_rate_percent,
        hourly_cost_eur=hourly_cost_eur,
        hours=round(hours, 1),
        formula=(
            f"{amount_eur:,.0f} € × {labour_share_percent:g} % × {insertion_rate_percent:g} % ÷ "
            f"{hourly_cost_eur:g} €/h = {hours:,.1f} h"
        ).replace(",", " "),
    )
