"""`GET /v1/search`: structures by text, territory and purchasing domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.catalog.structures.kinds import Family, Kind, PrestaType
from services.common.errors import InvalidParameter
from services.sourcing.search.filters import FILTER_FIELDS
from services.sourcing.search.indexes import MAX_RESULT_WINDOW
from services.sourcing.search.schemas import SearchResponse
from services.sourcing.search.service import SearchRequest, search_structures
from services.sourcing.search.vocabulary import SearchVocabulary

router = APIRouter(prefix="/v1", tags=["recherche"])

ALLOWED_PARAMETERS = frozenset({"q", "page", "per_page", *FILTER_FIELDS})
MultiValue = Annotated[
    list[str] | None,
    Query(
        description="Une ou plusieurs valeurs : paramètre répété ou valeurs séparées par des virgules"
    ),
]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _checked(field: str, values: list[str], allowed: frozenset[str], what: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise InvalidParameter(field, f"{what} « {value[:50]} »")
    return values


def _enum(
    field: str, values: list[str], enum: type[Kind] | type[Family] | type[PrestaType]
) -> list[str]:
    allowed = frozenset(e.value for e in enum)
    for value in values:
        if value not in allowed:
            raise InvalidParameter(
                field,
                f"valeur « {value[:50]} » inconnue ; valeurs possibles : {', '.join(sorted(allowed))}",
            )
    return values


@router.get(
    "/search", response_model=SearchResponse, summary="Rechercher des fournisseurs inclusifs"
)
async def search(
    request: Request,
    q: Annotated[
        str, Query(max_length=200, description="Texte libre (tolère les fautes de frappe)")
    ] = "",
    kind: MultiValue = None,
    family: MultiValue = None,
    department: MultiValue = None,
    region: MultiValue = None,
    commune: MultiValue = None,
    sector: MultiValue = None,
    sector_group: MultiValue = None,
    presta_type: MultiValue = None,
    page: Annotated[int, Query(ge=1, le=MAX_RESULT_WINDOW)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResponse:
    unknown = sorted(set(request.query_params) - ALLOWED_PARAMETERS)
    if unknown:
        raise InvalidParameter(
            unknown[0],
            "paramètre inconnu ; paramètres acceptés : " + ", ".join(sorted(ALLOWED_PARAMETERS)),
        )
    if page * per_page > MAX_RESULT_WINDOW:
        raise InvalidParameter("page", f"page × per_page ne peut dépasser {MAX_RESULT_WINDOW}")
    vocabulary: SearchVocabulary = request.app.state.vocabulary
    filters = {
        "kind": _enum("kind", _split(kind), Kind),
        "family": _enum("family", _split(family), Family),
        "presta_type": _enum("presta_type", _split(presta_type), PrestaType),
        "department": _checked(
            "department", _split(department), vocabulary.departments, "département inconnu"
        ),
        "region": _checked("region", _split(region), vocabulary.regions, "région inconnue"),
        "commune": _checked(
            "commune", _split(commune), vocabulary.communes, "code commune INSEE inconnu"
        ),
        "sector": _checked("sector", _split(sector), vocabulary.sectors, "secteur inconnu"),
        "sector_group": _checked(
            "sector_group",
            _split(sector_group),
            vocabulary.sector_groups,
            "groupe de secteurs inconnu",
        ),
    }
    return await search_structures(
        request.app.state.meili,
        request.app.state.settings.meili_index,
        SearchRequest(q=q.strip(), filters=filters, page=page, per_page=per_page),
    )
