"""Why a structure matched: the activity, sector, range and distance that made it serve."""

from __future__ import annotations

from typing import Any

from services.common.geo import distance_m
from services.domain.search import MatchReason
from services.sourcing.search.places import Place, Territory, located_codes
from services.sourcing.search.vocabulary import SearchVocabulary


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_m(a, b) / 1000


def _point(document: dict[str, Any]) -> tuple[float, float] | None:
    geo = document.get("_geo")
    return (geo["lat"], geo["lng"]) if geo else None


def _zone_serves(zone: dict[str, str], place: Place, vocabulary: SearchVocabulary) -> bool:
    kind, code = zone["type"], zone["code"]
    if place.level == "commune":
        commune = vocabulary.communes[place.code]
        return (kind, code) in {
            ("commune", place.code),
            ("departement", commune.department),
            ("region", commune.region),
        }
    if place.level == "departement":
        return (kind, code) in {
            ("departement", place.code),
            ("region", vocabulary.departments[place.code]),
        }
    return (kind, code) == ("region", place.code)


def _radius_reaches(
    radius_km: int, origin: tuple[float, float], place: Place, vocabulary: SearchVocabulary
) -> float | None:
    """Distance to the place (its nearest commune centre for a département or région) if within."""
    if place.level == "commune":
        nearest = distance_km(origin, place.centre) if place.centre else None
    else:
        nearest = _nearest_km(origin, place, vocabulary)
    return nearest if nearest is not None and nearest <= radius_km else None


def _nearest_km(
    origin: tuple[float, float], place: Place, vocabulary: SearchVocabulary
) -> float | None:
    """Measured once per origin and area: the hits of a search share few distinct origins."""
    known = vocabulary.nearest_known
    key = (origin, place.level, place.code)
    if key not in known:
        if len(known) >= _NEAREST_KEPT:
            known.clear()
        targets = vocabulary.area_centres.get((place.level, place.code), [])
        known[key] = min((distance_km(origin, t) for t in targets), default=None)
    return known[key]


_NEAREST_KEPT = 50_000


def _located(document: dict[str, Any], place: Place) -> bool:
    field = {"commune": "commune_code", "departement": "department_code", "region": "region_code"}[
        place.level
    ]
    return document.get(field) in located_codes(place)


def explain(
    document: dict[str, Any],
    sectors: frozenset[str] | None,
    presta_types: frozenset[str] | None,
    territory: Territory,
    vocabulary: SearchVocabulary,
) -> list[MatchReason]:
    reasons: list[MatchReason] = []
    origin = _point(document)
    for index, activity in enumerate(document.get("activities", [])):
        if sectors is not None and activity["sector"] not in sectors:
            continue
        if presta_types is not None and not presta_types & set(activity["presta_types"]):
            continue
        label = activity.get("sector_name") or activity["sector"]
        if territory.empty:
            if sectors is not None or presta_types is not None:
                reasons.append(
                    MatchReason(
                        kind="activity",
                        detail=f"Activité « {label} »",
                        activity=index,
                        sector=activity["sector"],
                    )
                )
            continue
        for place in territory.places:
            detail = None
            if activity["range"] == "country":
                detail = "intervient dans toute la France"
            elif activity["range"] == "zones":
                zone = next(
                    (z for z in activity["zones"] if _zone_serves(z, place, vocabulary)), None
                )
                if zone is not None:
                    detail = f"zone d'intervention : {zone['type']} {zone['code']}"
            elif origin is not None and activity.get("radius_km"):
                reach = _radius_reaches(activity["radius_km"], origin, place, vocabulary)
                if reach is not None:
                    detail = f"dans son rayon de {activity['radius_km']} km (à {reach:.1f} km)"
            if detail is None and _located(document, place):
                detail = "implantée sur le territoire cherché"
            if detail is not None:
                reasons.append(
                    MatchReason(
                        kind="activity",
                        detail=f"« {label} » : {detail}",
                        activity=index,
                        sector=activity["sector"],
                    )
                )
                break
    if not reasons and any(_located(document, place) for place in territory.places):
        reasons.append(MatchReason(kind="located", detail="implantée sur le territoire cherché"))
    return reasons
