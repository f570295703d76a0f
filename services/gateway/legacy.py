"""The reference platform's public API, served over our services so that existing integrations
switch by changing their base URL. A facade: every answer comes from the catalog."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.datastructures import QueryParams

from services.common.errors import (
    PROBLEM_JSON,
    NotFound,
    Unauthorized,
    UpstreamUnavailable,
    problem_response,
)
from services.common.params import IdPath
from services.common.text import rank_by_name
from services.domain.kinds import KIND_LABELS, PRESTA_TYPE_LABELS, Family, family_of
from services.gateway.accounts.service import ACCESS_PREFIX
from services.gateway.auth import bearer_value, identify
from services.gateway.state import GatewayState, GatewayStateDep, gateway_state

logger = logging.getLogger(__name__)
_TAG = "compatibilité (API historique)"
DEFAULT_LIMIT = 100
# The reference platform sets no maximum: a client may ask for the whole list at once. The
# catalog is asked page by page and the answer written as it comes, in constant memory.
CATALOG_PAGE = 1000
MAX_LIMIT = 2**63 - 1
MAX_OFFSET = 10_000_000  # as the catalog's own bound: refused here, by name
SIAE_FILTERS = frozenset(
    {
        "kind",
        "presta_types",
        "department",
        "sectors",
        "networks",
        "is_active",
        "updated_at_after",
        "updated_at_before",
    }
)
_PAGING = frozenset({"limit", "offset", "token", "format"})


@dataclass(frozen=True)
class AmountBand:
    code: str
    label: str
    low_eur: int | None
    high_eur: int | None


AMOUNT_BANDS = [
    AmountBand("0-1K", "0-1 K€", 0, 1_000),
    AmountBand("1-5K", "1-5 K€", 1_000, 5_000),
    AmountBand("5-10K", "5-10 K€", 5_000, 10_000),
    AmountBand("10-15K", "10-15 K€", 10_000, 15_000),
    AmountBand("15-20K", "15-20 K€", 15_000, 20_000),
    AmountBand("20-30K", "20-30 K€", 20_000, 30_000),
    AmountBand("30-40K", "30-40 K€", 30_000, 40_000),
    AmountBand("40-50K", "40-50 K€", 40_000, 50_000),
    AmountBand("50-100K", "50-100 K€", 50_000, 100_000),
    AmountBand("100-150K", "100-150 K€", 100_000, 150_000),
    AmountBand("150-200K", "150-200 K€", 150_000, 200_000),
    AmountBand("200-500K", "200-500 K€", 200_000, 500_000),
    AmountBand("500-1M", "500 K€-1 M€", 500_000, 1_000_000),
    AmountBand(">1M", "> 1 M€", 1_000_000, None),
]


@dataclass(frozen=True)
class TenderKind:
    code: str
    label: str
    need_kind: str  # what the sourcing service calls it


TENDER_KINDS = [
    TenderKind("TENDER", "Appel d'offres", "appel_offres"),
    TenderKind("QUOTE", "Demande de devis", "demande_devis"),
    TenderKind("PROJ", "Sourcing", "projet_achat"),
]


def _unauthorized(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        401,
        "unauthorized",
        "Identification requise",
        detail,
        request,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


async def _check_token(request: Request, state: GatewayStateDep) -> None:
    """Runs before every handler that needs a token, so that the check never blocks the event
    loop; the handler answers the refusal itself, after its parameters were validated."""
    request.state.legacy_refusal = await _refusal(request, state)


async def _refusal(request: Request, state: GatewayState) -> str | None:
    """Bearer token, or the legacy `?token=` (answered with a deprecation header)."""
    token = bearer_value(request.headers.get("authorization", ""))
    if token is None:
        token = request.query_params.get("token")
    if not token:
        return "Jeton absent : « Authorization: Bearer <jeton> »."
    # An API key, or a session's access token (as the README promises).
    if not token.startswith(ACCESS_PREFIX) and not re.fullmatch(r"[A-Za-z0-9]{64,}", token):
        return "Jeton invalide."
    try:
        await identify(request, state, token)
    except Unauthorized as exc:
        return exc.detail
    return None


def caller_or_401(request: Request) -> JSONResponse | None:
    refusal: str | None = request.state.legacy_refusal
    return None if refusal is None else _unauthorized(request, refusal)


router = APIRouter(prefix="/api", tags=[_TAG], dependencies=[Depends(_check_token)])
# The one call of the historical API that needs no token.
open_router = APIRouter(prefix="/api", tags=[_TAG])


def _links(request: Request, count: int, limit: int, offset: int) -> dict[str, str | None]:
    """`next` and `previous`; they keep `?token=` for a client that authenticates so (it has
    no other way to follow them), and never carry one for a client that sent a header."""
    by_header = "authorization" in request.headers

    def link(new_offset: int) -> str:
        params = [
            (k, v)
            for k, v in request.query_params.multi_items()
            if k not in ("limit", "offset") and not (k == "token" and by_header)
        ]
        params += [("limit", str(limit)), ("offset", str(new_offset))]
        return str(request.url.replace(query=str(QueryParams(params))))

    return {
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
    }


def _page(
    request: Request, results: list[Any], count: int, limit: int, offset: int
) -> dict[str, Any]:
    return {"count": count, **_links(request, count, limit, offset), "results": results}


def _unknown_parameters(request: Request, known: frozenset[str]) -> JSONResponse | None:
    unknown = sorted(set(request.query_params) - known - _PAGING)
    if request.query_params.get("format", "json") != "json":
        unknown.insert(0, "format")
    if not unknown:
        return None
    allowed = ", ".join(sorted(known | {"limit", "offset", "format"}))
    return problem_response(
        400,
        "unknown-parameter",
        "Paramètre inconnu",
        f"Paramètre inconnu ou valeur refusée : {', '.join(unknown)}. Paramètres acceptés : {allowed}"
        " (format=json seulement).",
        request,
        errors=[
            {
                "pointer": f"/query/{name}",
                "field": name,
                "detail": "paramètre inconnu" if name != "format" else "seul « json » est accepté",
            }
            for name in unknown
        ],
    )


def _deprecate(request: Request, response: Response) -> None:
    if "token" in request.query_params:
        response.headers["Deprecation"] = "true"
        response.headers["Link"] = '<https://marche-inclusif.example/api/docs>; rel="deprecation"'


def _answer(request: Request, body: Any) -> JSONResponse:
    response = JSONResponse(body)
    _deprecate(request, response)
    return response


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


async def _siae(request: Request, params: Any) -> tuple[int, dict[str, Any]]:
    fetched = await gateway_state(request).catalog.fetch("/v1/legacy/siae", request, params)
    if fetched is None:
        raise UpstreamUnavailable("Le catalogue est momentanément indisponible.")
    return fetched[0], dict(fetched[1])


@router.get("/siae/", summary="Liste des structures (API historique)")
async def siae_list(request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> Response:
    if (refused := caller_or_401(request)) is not None:
        return refused
    if (unknown := _unknown_parameters(request, SIAE_FILTERS)) is not None:
        return unknown
    filters: list[tuple[str, str]] = [
        (k, v) for k, v in request.query_params.multi_items() if k in SIAE_FILTERS
    ]

    def page_params(at: int, size: int) -> list[tuple[str, str]]:
        return [*filters, ("limit", str(size)), ("offset", str(at))]

    status, first = await _siae(request, page_params(offset, min(limit, CATALOG_PAGE)))
    if status != 200:  # the catalog's errors are problem+json, and stay so
        return JSONResponse(
            {**first, "instance": request.url.path}, status_code=status, media_type=PROBLEM_JSON
        )
    count = int(first["count"])
    wanted = max(0, min(limit, count - offset))
    head = {"count": count, **_links(request, count, limit, offset)}

    async def body() -> AsyncIterator[bytes]:
        yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "results": ['
        sent, results = 0, first["results"]
        while True:
            for record in results[: wanted - sent]:
                yield (b"," if sent else b"") + json.dumps(record, ensure_ascii=False).encode()
                sent += 1
            if sent >= wanted or not results:
                break
            status, more = await _siae(
                request, page_params(offset + sent, min(wanted - sent, CATALOG_PAGE))
            )
            if status != 200:
                # The status line is gone: cut the answer short, so that the client sees it
                # is incomplete rather than reading a partial list as whole.
                logger.warning("legacy listing cut short", extra={"upstream_status": status})
                raise UpstreamUnavailable("Le catalogue a cessé de répondre.")
            results = more["results"]
        yield b"]}"

    response = StreamingResponse(body(), media_type="application/json")
    _deprecate(request, response)
    return response


async def _one(request: Request, **criteria: str) -> JSONResponse:
    if (refused := caller_or_401(request)) is not None:
        return refused
    _, body = await _siae(request, {**criteria, "limit": "1"})
    if not body.get("results"):
        raise NotFound("Structure introuvable.")
    return _answer(request, body["results"][0])


@router.get("/siae/{structure_id:int}/", summary="Une structure, par identifiant")
async def siae_by_id(structure_id: IdPath, request: Request) -> JSONResponse:
    return await _one(request, structure_id=str(structure_id))


@router.get("/siae/slug/{slug}/", summary="Une structure, par slug")
async def siae_by_slug(slug: str, request: Request) -> JSONResponse:
    return await _one(request, slug=slug[:200])


async def _many(request: Request, field: str, value: str, length: int) -> JSONResponse:
    if (refused := caller_or_401(request)) is not None:
        return refused
    if len(value) != length:
        return problem_response(
            400,
            "bad-request",
            "Requête invalide",
            f"Le {field.upper()} doit compter {length} caractères.",
            request,
        )
    _, body = await _siae(request, {field: value, "limit": str(CATALOG_PAGE)})
    return _answer(request, body["results"])


@router.get("/siae/siren/{siren}/", summary="Structures d'un SIREN (liste non paginée)")
async def siae_by_siren(siren: str, request: Request) -> JSONResponse:
    return await _many(request, "siren", siren, 9)


@router.get("/siae/siret/{siret}/", summary="Structures d'un SIRET (liste non paginée)")
async def siae_by_siret(siret: str, request: Request) -> JSONResponse:
    return await _many(request, "siret", siret, 14)


def _listing(
    request: Request,
    items: list[Any],
    limit: int,
    offset: int,
    filters: frozenset[str] = frozenset(),
) -> JSONResponse:
    if (refused := caller_or_401(request)) is not None:
        return refused
    if (unknown := _unknown_parameters(request, filters)) is not None:
        return unknown
    return _answer(
        request, _page(request, items[offset : offset + limit], len(items), limit, offset)
    )


@router.get("/siae/kinds/", summary="Types de structure")
async def kinds(request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> JSONResponse:
    items = [
        {
            "id": k.value,
            "name": label,
            "parent": "Handicap" if family_of(k) == Family.HANDICAP else "Insertion",
        }
        for k, label in KIND_LABELS.items()
    ]
    return _listing(request, items, limit, offset)


@router.get("/siae/presta-types/", summary="Types de prestation")
async def presta_types(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    items = [{"id": p.value, "name": label} for p, label in PRESTA_TYPE_LABELS.items()]
    return _listing(request, items, limit, offset)


@router.get("/sectors/", summary="Secteurs d'activité")
async def sectors(
    request: Request, state: GatewayStateDep, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    items = [
        {
            "name": row["secteur"],
            "slug": row["secteur_slug"],
            "group": {"name": row["groupe"], "slug": row["groupe_slug"]},
        }
        for row in state.legacy_sectors
    ]
    return _listing(request, items, limit, offset)


@router.get("/networks/", summary="Réseaux")
async def networks(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    return _listing(request, [], limit, offset)


@router.get("/perimeters/", summary="Périmètres : communes, départements, régions")
async def perimeters(
    request: Request,
    state: GatewayStateDep,
    kind: Annotated[str | None, Query(pattern="^(CITY|DEPARTMENT|REGION)$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> JSONResponse:
    items = [p.public() for p in state.perimeters if kind is None or p.kind == kind]
    return _listing(request, items, limit, offset, frozenset({"kind"}))


@open_router.get("/perimeters/autocomplete/", summary="Autocomplétion des périmètres (sans jeton)")
async def autocomplete(
    state: GatewayStateDep,
    q: Annotated[str, Query(min_length=1, max_length=80)],
    kind: Annotated[str | None, Query(pattern="^(CITY|DEPARTMENT|REGION)$")] = None,
    results: Annotated[int, Query(ge=1, le=20)] = 10,
) -> JSONResponse:
    query = q.strip()
    candidates = [p for p in state.perimeters if kind is None or p.kind == kind]
    if query.isdigit():
        found = [
            p
            for p in candidates
            if any(code.startswith(query) for code in p.post_codes)
            or (p.kind == "DEPARTMENT" and p.insee_code.startswith(query))
        ]
        found.sort(key=lambda p: -p.population)
    else:
        # Exact name, then prefix, then population: « paris » brings Paris first.
        found = rank_by_name(query, candidates, lambda p: (p.folded, p.population), results)
    return JSONResponse([p.public() for p in found[:results]])


@router.get("/tenders/kinds/", summary="Types de besoin")
async def tender_kinds(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    return _listing(request, [{"id": k.code, "name": k.label} for k in TENDER_KINDS], limit, offset)


@router.get("/tenders/amounts/", summary="Tranches de montant")
async def tender_amounts(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    return _listing(request, [{"id": b.code, "name": b.label} for b in AMOUNT_BANDS], limit, offset)
