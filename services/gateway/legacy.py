"""The reference platform's public API, served over our services so that existing integrations
switch by changing their base URL. A facade: every answer comes from the catalog."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from services.common.errors import PROBLEM_JSON, AppError, NotFound, problem_response
from services.common.text import slugify
from services.gateway.accounts.service import authenticate

router = APIRouter(prefix="/api", tags=["compatibilité (API historique)"])
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000  # as the catalog's own bound: refused here, by name
AMOUNTS = [
    ("0-1K", "0-1 K€"),
    ("1-5K", "1-5 K€"),
    ("5-10K", "5-10 K€"),
    ("10-15K", "10-15 K€"),
    ("15-20K", "15-20 K€"),
    ("20-30K", "20-30 K€"),
    ("30-40K", "30-40 K€"),
    ("40-50K", "40-50 K€"),
    ("50-100K", "50-100 K€"),
    ("100-150K", "100-150 K€"),
    ("150-200K", "150-200 K€"),
    ("200-500K", "200-500 K€"),
    ("500-1M", "500 K€-1 M€"),
    (">1M", "> 1 M€"),
]
TENDER_KINDS = [("TENDER", "Appel d'offres"), ("QUOTE", "Demande de devis"), ("PROJ", "Sourcing")]


class LegacyError(AppError):
    status, slug, title = 503, "upstream-unavailable", "Service momentanément indisponible"


@dataclass(frozen=True)
class Perimeter:
    id: str
    name: str
    slug: str
    kind: str
    insee_code: str
    post_codes: list[str]
    department_code: str | None
    region_code: str | None

    def public(self) -> dict[str, Any]:
        return self.__dict__.copy()


def load_perimeters(data_dir: Path) -> list[Perimeter]:
    def rows(name: str) -> list[dict[str, str]]:
        with (data_dir / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    found = [
        Perimeter(
            f"region-{r['code_region']}",
            r["nom"],
            f"{slugify(r['nom'])}-region",
            "REGION",
            r["code_region"],
            [],
            None,
            r["code_region"],
        )
        for r in rows("geo/regions.csv")
    ]
    found += [
        Perimeter(
            f"departement-{d['code_departement']}",
            d["nom"],
            slugify(d["nom"]),
            "DEPARTMENT",
            d["code_departement"],
            [],
            d["code_departement"],
            d["code_region"],
        )
        for d in rows("geo/departements.csv")
    ]
    found += [
        Perimeter(
            f"commune-{c['code_insee']}",
            c["nom"],
            f"{slugify(c['nom'])}-{c['code_departement'].lower()}",
            "CITY",
            c["code_insee"],
            [p for p in c["codes_postaux"].split("|") if p],
            c["code_departement"],
            c["code_region"],
        )
        for c in rows("geo/communes.csv")
        if c["type"] == "COM"
    ]
    return found


def _unauthorized(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        401,
        "unauthorized",
        "Identification requise",
        detail,
        request,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _caller_or_401(request: Request) -> JSONResponse | None:
    """Bearer token, or the legacy `?token=` (answered with a deprecation header)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else request.query_params.get("token")
    if not token:
        return _unauthorized(request, "Jeton absent : « Authorization: Bearer <jeton> ».")
    if not re.fullmatch(r"[A-Za-z0-9]{64,}", token):
        return _unauthorized(request, "Jeton invalide.")
    with Session(request.app.state.engine) as session:
        try:
            request.state.caller = authenticate(
                session, token, request.app.state.settings.session_secret
            )
        except AppError as exc:
            return _unauthorized(request, exc.detail)
        session.commit()
    return None


def _page(
    request: Request, results: list[Any], count: int, limit: int, offset: int
) -> dict[str, Any]:
    def link(new_offset: int) -> str:
        params = dict(request.query_params)
        params.pop("token", None)
        params.update({"limit": str(limit), "offset": str(new_offset)})
        return str(request.url.replace_query_params(**params))

    return {
        "count": count,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "results": results,
    }


def _answer(request: Request, body: Any) -> JSONResponse:
    response = JSONResponse(body)
    if "token" in request.query_params:
        response.headers["Deprecation"] = "true"
        response.headers["Link"] = '<https://marche-inclusif.example/api/docs>; rel="deprecation"'
    return response


Limit = Annotated[int, Query(ge=0, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


async def _siae(request: Request, params: Any) -> tuple[int, dict[str, Any]]:
    fetched = await request.app.state.catalog.fetch("/v1/legacy/siae", request, params)
    if fetched is None:
        raise LegacyError("Le catalogue est momentanément indisponible.")
    return fetched[0], dict(fetched[1])


@router.get("/siae/", summary="Liste des structures (API historique)")
async def siae_list(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    if (refused := _caller_or_401(request)) is not None:
        return refused
    params: list[tuple[str, str]] = [("limit", str(limit)), ("offset", str(offset))]
    for name in ("kind", "presta_types", "sectors", "networks"):
        params += [(name, v) for v in request.query_params.getlist(name)]
    for name in ("department", "is_active", "updated_at_after", "updated_at_before"):
        if name in request.query_params:
            params.append((name, request.query_params[name]))
    status, body = await _siae(request, params)
    if status != 200:  # the catalog's errors are problem+json, and stay so
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    return _answer(request, _page(request, body["results"], body["count"], limit, offset))


async def _one(request: Request, **criteria: str) -> JSONResponse:
    if (refused := _caller_or_401(request)) is not None:
        return refused
    _, body = await _siae(request, {**criteria, "limit": "1"})
    if not body.get("results"):
        raise NotFound("Structure introuvable.")
    return _answer(request, body["results"][0])


@router.get("/siae/{structure_id:int}/", summary="Une structure, par identifiant")
async def siae_by_id(structure_id: int, request: Request) -> JSONResponse:
    return await _one(request, structure_id=str(structure_id))


@router.get("/siae/slug/{slug}/", summary="Une structure, par slug")
async def siae_by_slug(slug: str, request: Request) -> JSONResponse:
    return await _one(request, slug=slug[:200])


async def _many(request: Request, field: str, value: str, length: int) -> JSONResponse:
    if (refused := _caller_or_401(request)) is not None:
        return refused
    if len(value) != length:
        return problem_response(
            400,
            "bad-request",
            "Requête invalide",
            f"Le {field.upper()} doit compter {length} caractères.",
            request,
        )
    _, body = await _siae(request, {field: value, "limit": str(MAX_LIMIT)})
    return _answer(request, body["results"])


@router.get("/siae/siren/{siren}/", summary="Structures d'un SIREN (liste non paginée)")
async def siae_by_siren(siren: str, request: Request) -> JSONResponse:
    return await _many(request, "siren", siren, 9)


@router.get("/siae/siret/{siret}/", summary="Structures d'un SIRET (liste non paginée)")
async def siae_by_siret(siret: str, request: Request) -> JSONResponse:
    return await _many(request, "siret", siret, 14)


def _listing(request: Request, items: list[Any], limit: int, offset: int) -> JSONResponse:
    if (refused := _caller_or_401(request)) is not None:
        return refused
    return _answer(
        request, _page(request, items[offset : offset + limit], len(items), limit, offset)
    )


@router.get("/siae/kinds/", summary="Types de structure")
async def kinds(request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> JSONResponse:
    from services.domain.kinds import KIND_LABELS, Family, family_of

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
    from services.domain.kinds import PRESTA_TYPE_LABELS

    items = [{"id": p.value, "name": label} for p, label in PRESTA_TYPE_LABELS.items()]
    return _listing(request, items, limit, offset)


@router.get("/sectors/", summary="Secteurs d'activité")
async def sectors(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    items = [
        {
            "name": row["secteur"],
            "slug": row["secteur_slug"],
            "group": {"name": row["groupe"], "slug": row["groupe_slug"]},
        }
        for row in request.app.state.legacy_sectors
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
    kind: Annotated[str | None, Query(pattern="^(CITY|DEPARTMENT|REGION)$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> JSONResponse:
    items = [p.public() for p in request.app.state.perimeters if kind is None or p.kind == kind]
    return _listing(request, items, limit, offset)


@router.get("/perimeters/autocomplete/", summary="Autocomplétion des périmètres (sans jeton)")
async def autocomplete(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=80)],
    kind: Annotated[str | None, Query(pattern="^(CITY|DEPARTMENT|REGION)$")] = None,
    results: Annotated[int, Query(ge=1, le=20)] = 10,
) -> JSONResponse:
    query = q.strip()
    folded = slugify(query)
    found = []
    for perimeter in request.app.state.perimeters:
        if kind is not None and perimeter.kind != kind:
            continue
        if query.isdigit():
            hit = any(p.startswith(query) for p in perimeter.post_codes) or (
                perimeter.kind == "DEPARTMENT" and perimeter.insee_code.startswith(query)
            )
        else:
            hit = perimeter.slug.startswith(folded)
        if hit:
            found.append(perimeter.public())
        if len(found) >= results:
            break
    return JSONResponse(found)


@router.get("/tenders/kinds/", summary="Types de besoin")
async def tender_kinds(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    return _listing(request, [{"id": k, "name": n} for k, n in TENDER_KINDS], limit, offset)


@router.get("/tenders/amounts/", summary="Tranches de montant")
async def tender_amounts(
    request: Request, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> JSONResponse:
    return _listing(request, [{"id": k, "name": n} for k, n in AMOUNTS], limit, offset)
