"""From query parameters to a search request: every value checked against the vocabulary."""

from __future__ import annotations

import inspect
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.common.errors import InvalidParameter
from services.domain import bands
from services.domain.bands import labels
from services.domain.kinds import Family, Kind, PrestaType
from services.domain.reservations import Reservation
from services.domain.search import SORTS
from services.domain.search import SearchParameters as PublicSearchParameters
from services.domain.search_index import MAX_TOTAL_HITS
from services.sourcing.search.places import Territory, commune_place, department_place, region_place
from services.sourcing.search.service import SearchRequest
from services.sourcing.search.vocabulary import SearchVocabulary

RESERVATIONS = frozenset(r.value for r in Reservation)
HEADCOUNT_BANDS = labels(bands.HEADCOUNT_BANDS)
TURNOVER_BANDS = labels(bands.TURNOVER_BANDS)
KINDS = frozenset(k.value for k in Kind)
FAMILIES = frozenset(f.value for f in Family)
PRESTA_TYPES = frozenset(p.value for p in PrestaType)
_SLUG = re.compile(r"^[a-z0-9-]{1,64}$")
_CPV = re.compile(r"^[0-9]{8}(?:-[0-9])?$")
_NAF = re.compile(r"^[0-9]{2}\.?[0-9]{2}[A-Za-z]$")
MAX_PLACES = 20


def split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _among(field: str, values: list[str], allowed: Collection[str], what: str) -> list[str]:
    for value in values:
        if value not in allowed:
            options = (
                f" ; valeurs possibles : {', '.join(sorted(allowed))}" if len(allowed) <= 12 else ""
            )
            raise InvalidParameter(field, f"{what} « {value[:50]} »{options}")
    return values


@dataclass
class SearchParameters(PublicSearchParameters):
    """The public parameters; `to_request` checks them against the vocabulary and resolves them."""

    def to_request(
        self,
        request: Request,
        vocabulary: SearchVocabulary,
        extra: frozenset[str] = frozenset(),
    ) -> SearchRequest:
        accepted = self.names() | extra
        unknown = sorted(set(request.query_params) - accepted)
        if unknown:
            raise InvalidParameter(
                unknown[0],
                "paramètre inconnu ; paramètres acceptés : " + ", ".join(sorted(accepted)),
            )
        return self.resolve(vocabulary)

    def resolve(self, vocabulary: SearchVocabulary) -> SearchRequest:
        """The request these parameters make, each value checked against the vocabulary."""
        if self.page * self.per_page > MAX_TOTAL_HITS:
            raise InvalidParameter("page", f"page × per_page ne peut dépasser {MAX_TOTAL_HITS}")
        if self.sort not in SORTS:
            raise InvalidParameter(
                "sort",
                f"tri inconnu « {self.sort[:20]} » ; valeurs possibles : {', '.join(sorted(SORTS))}",
            )

        territory = Territory()
        for code in _among(
            "commune", split(self.commune), vocabulary.communes, "code commune INSEE inconnu"
        ):
            territory.places.append(commune_place(vocabulary, code))
        for code in _among(
            "department", split(self.department), vocabulary.departments, "département inconnu"
        ):
            territory.places.append(department_place(vocabulary, code))
        for code in _among("region", split(self.region), vocabulary.regions, "région inconnue"):
            territory.places.append(region_place(vocabulary, code))
        if len(territory.places) > MAX_PLACES:
            raise InvalidParameter("commune", f"au plus {MAX_PLACES} lieux par recherche")
        point = None
        given = [v is not None for v in (self.lat, self.lng, self.radius_km)]
        if any(given):
            if not all(given):
                missing = next(
                    n for n, g in zip(("lat", "lng", "radius_km"), given, strict=True) if not g
                )
                raise InvalidParameter(missing, "lat, lng et radius_km vont ensemble")
            assert self.lat is not None and self.lng is not None and self.radius_km is not None
            point = (self.lat, self.lng, self.radius_km)
        if self.sort == "distance" and point is None and territory.centre is None:
            raise InvalidParameter("sort", "le tri par distance demande un seul lieu ou un point")

        sectors, domain = self._domain(vocabulary)
        presta = _among(
            "presta_type",
            split(self.presta_type),
            PRESTA_TYPES,
            "type de prestation inconnu",
        )
        filters: dict[str, list[str]] = {
            "kind": _among("kind", split(self.kind), KINDS, "type de structure inconnu"),
            "family": _among("family", split(self.family), FAMILIES, "famille inconnue"),
            "reservation": _among(
                "reservation", split(self.reservation), RESERVATIONS, "réservation inconnue"
            ),
            "network": [self._slug("network", v) for v in split(self.network)],
            "label": [v[:100] for v in split(self.label)],
            "headcount": _among(
                "headcount", split(self.headcount), HEADCOUNT_BANDS, "tranche d'effectif inconnue"
            ),
            "turnover": _among(
                "turnover",
                split(self.turnover),
                TURNOVER_BANDS,
                "tranche de chiffre d'affaires inconnue",
            ),
            "naf": [self._naf(v, vocabulary) for v in split(self.naf)],
        }
        for name in ("qpv", "zrr", "has_offers"):
            value = getattr(self, name)
            if value is not None:
                filters[name] = ["true" if value else "false"]
        return SearchRequest(
            q=self.q.strip(),
            filters=filters,
            page=self.page,
            per_page=self.per_page,
            sectors=sectors,
            presta_types=frozenset(presta) or None,
            territory=territory,
            point=point,
            sort=self.sort,
            domain=domain,
        )

    @staticmethod
    def _slug(field: str, value: str) -> str:
        if not _SLUG.match(value):
            raise InvalidParameter(field, f"identifiant invalide « {value[:50]} »")
        return value

    @staticmethod
    def _naf(value: str, vocabulary: SearchVocabulary) -> str:
        code = value.replace(".", "").upper()
        if not _NAF.match(value) or code not in vocabulary.naf_codes:
            raise InvalidParameter("naf", f"code NAF inconnu « {value[:10]} » (ex. 81.21Z)")
        return code

    def _domain(self, vocabulary: SearchVocabulary) -> tuple[frozenset[str] | None, dict[str, Any]]:
        sectors = set(_among("sector", split(self.sector), vocabulary.sectors, "secteur inconnu"))
        for group in _among(
            "sector_group",
            split(self.sector_group),
            vocabulary.sector_groups,
            "groupe de secteurs inconnu",
        ):
            sectors |= vocabulary.groups[group]
        cpv_resolved = []
        for raw in split(self.cpv):
            if not _CPV.match(raw):
                raise InvalidParameter(
                    "cpv", f"code CPV invalide « {raw[:12]} » (8 chiffres, ex. 90911200)"
                )
            code = raw[:8]
            if code not in vocabulary.cpv_labels:
                raise InvalidParameter("cpv", f"code CPV inconnu « {raw[:12]} »")
            found = vocabulary.cpv_sectors(code)
            mapped = list(found[1]) if found else []
            cpv_resolved.append(
                {
                    "code": code,
                    "label": vocabulary.cpv_labels[code],
                    "mapped_from": found[0] if found else None,
                    "sectors": mapped,
                }
            )
            sectors |= set(mapped)
        domain: dict[str, Any] = {"sectors": sorted(sectors)}
        if cpv_resolved:
            domain["cpv"] = cpv_resolved
        asked = bool(self.sector or self.sector_group or self.cpv)
        return (frozenset(sectors) if asked else None), domain


async def search_parameters(**values: Any) -> SearchParameters:
    """The parameters as a dependency that FastAPI runs on the event loop (a class, being
    a plain callable, would be sent to a worker thread on every search)."""
    return SearchParameters(**values)


search_parameters.__signature__ = inspect.signature(PublicSearchParameters)  # type: ignore[attr-defined]
