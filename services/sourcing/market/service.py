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
from services.sourcing.search.filters import build_filter, quote
from services.sourcing.search.places import Place, Territory, located_codes
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


_LOCATED_FIELD = {
    "commune": "commune_code",
    "departement": "department_code",
    "region": "region_code",
}


def _undeclared_filter(search: SearchRequest) -> list[str | list[str]]:
    """The structures of the kinds asked for, located on the territory, with no activity
    declared: whether they serve the domain is not known yet."""
    clauses: list[str | list[str]] = [*build_filter(search.filters), "has_activities = false"]
    located = [
        f"{_LOCATED_FIELD[p.level]} = {quote(code)}"
        for p in search.territory.places
        for code in sorted(located_codes(p))
    ]
    if located:
        clauses.append(located)
    if search.point is not None:
        lat, lng, radius_km = search.point
        clauses.append(f"_geoRadius({lat!r}, {lng!r}, {radius_km * 1000})")
    return clauses


def _where(search: SearchRequest) -> str:
    names = {"commune": "à", "departement": "dans le", "region": "dans la région"}
    places = [f"{names[p.level]} {p.label}" for p in search.territory.places]
    if search.point is not None:
        places.append(f"à moins de {search.point[2]} km du point donné")
    return " ou ".join(places) or "en France"


def _kinds(by_kind: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items(), key=lambda i: -i[1]))


def _summary(search: SearchRequest, total: int, undeclared: int, by_kind: dict[str, int]) -> str:
    where = _where(search)
    if search.sectors is None:
        known = f"{total} structure(s) inclusive(s) servent ce territoire ({where})."
    else:
        known = f"{total} fournisseur(s) inclusif(s) déclarent ce domaine {where}."
    if not undeclared:
        return known
    return (
        f"{known} Par ailleurs, {undeclared} structure(s) des types retenus implantée(s) {where} "
        f"({_kinds(by_kind)}) n'ont encore déclaré aucune activité : ce qu'elles vendent n'est "
        "pas connu. Interrogez-les avant de conclure à l'absence d'offre "
        "(les ESAT et la plupart des SIAE n'ont pas encore renseigné leurs activités)."
    )


async def market_depth(engine: SearchEngine, search: SearchRequest) -> MarketDepth:
    total, facets = await _count(engine, search, ["family", "kind", "reservations"])
    local = 0
    if not search.territory.empty:
        local, _ = await _count(engine, _local(search), [])
    unknown = await engine.search(
        "",
        filter=_undeclared_filter(search),
        facets=["kind", "reservations"],
        page=1,
        hits_per_page=1,
    )
    undeclared = unknown.total_hits or 0
    unknown_facets = unknown.facet_distribution or {}
    undeclared_by_kind = dict(unknown_facets.get("kind", {}))
    undeclared_reservations = unknown_facets.get("reservations", {})
    reservations = facets.get("reservations", {})
    disability = reservations.get(Reservation.DISABILITY, 0)
    insertion = reservations.get(Reservation.INSERTION, 0)
    enough = MIN_SUPPLIERS_FOR_RESERVATION

    def reservation(rule: dict[str, Any], count: int) -> Option:
        possible = count >= enough
        unknown = undeclared_reservations.get(rule["article"], 0)
        why = (
            f"{count} structures éligibles servent ce besoin : une réservation peut susciter une concurrence suffisante."
            if possible
            else f"{count} structure(s) éligible(s) seulement (moins de {enough}) : la réservation risque l'infructuosité."
        )
        if unknown and not possible:
            why += (
                f" Mais {unknown} structure(s) éligible(s) implantée(s) {_where(search)} n'ont pas "
                "encore déclaré leurs activités : interrogez-les (dépôt de besoin) avant de "
                "renoncer à réserver."
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
        undeclared_suppliers=undeclared,
        undeclared_by_kind=undeclared_by_kind,
        summary=_summary(search, total, undeclared, undeclared_by_kind),
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
