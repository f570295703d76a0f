"""Public pages: the ranking of public buyers by their social considerations (with its method),
the search of a buyer, a buyer's page, and their CSV exports streamed from the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web import buyer_view
from services.web import ranking_view as view
from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.places import territories
from services.web.visitor import Visitor, VisitorDep, redirect

router = APIRouter()
SECTION = "classement"


async def _method(visitor: Visitor) -> dict[str, Any]:
    method: dict[str, Any] = await visitor.state.api.get(
        "/public-buyers/method", client_ip=visitor.client_ip
    )
    return method


async def _record(visitor: Visitor, year: int | None) -> dict[str, Any] | None:
    """The platform's public record of the year; the ranking is shown without it when the
    record cannot be read."""
    if year is None:
        return None
    try:
        found: dict[str, Any] = await visitor.state.api.get(
            "/organisations/public-record", params={"year": year}, client_ip=visitor.client_ip
        )
    except (ApiProblem, ApiUnavailable):
        return None
    return found


async def _years(visitor: Visitor) -> list[int]:
    """The years with figures, for the year list of a form shown with an error."""
    try:
        found = await visitor.state.api.get(
            "/public-buyers/ranking", params={"per_page": 1}, client_ip=visitor.client_ip
        )
    except ApiProblem:
        return []
    return list(found.get("years_available", []))


@router.get("/classement", response_class=HTMLResponse)
async def ranking(visitor: VisitorDep) -> HTMLResponse:
    method = await _method(visitor)
    regions = (await territories(visitor.state.api, visitor.client_ip)).regions
    wanted = view.read_query(visitor.request.query_params.multi_items(), method, regions)
    found: dict[str, Any] | None = None
    if not wanted.errors:
        try:
            found = await visitor.state.api.get(
                "/public-buyers/ranking", params=wanted.params, client_ip=visitor.client_ip
            )
        except ApiProblem as problem:
            fields = {"year": "annee", "region": "region", "category": "categorie"}
            fields |= {"band": "tranche", "page": "page"}
            for name, message in problem.by_field().items():
                wanted.errors[fields.get(name, "annee")] = message
            if not wanted.errors:
                wanted.errors["annee"] = problem.detail or problem.title
    items = found["items"] if found else []
    years = found["years_available"] if found else await _years(visitor)
    record = view.record_index(await _record(visitor, found["year"] if found else None))
    groups = view.band_groups(found, record, "band" in wanted.params) if found else []
    context = {
        "section": SECTION,
        "method": method,
        "wanted": wanted,
        "values": wanted.values,
        "errors": wanted.errors,
        "found": found,
        "rows": bool(items),
        "groups": groups,
        "years": [(str(y), str(y)) for y in years],
        "categories": [(c["code"], c["label"]) for c in method.get("categories", [])],
        "bands": [(b["code"], b["label"]) for b in method.get("bands", [])],
        "regions": sorted(regions.items(), key=lambda pair: pair[1]),
        "tags": view.active_filters(wanted, method, regions),
        "pagination": view.pagination(wanted, found["total"]) if found else None,
        "percent": view.percent,
        "breadcrumb": [("Classement des acheteurs", "")],
    }
    return visitor.render("buyers/ranking.html", context, status_code=400 if wanted.errors else 200)


async def _streamed(visitor: Visitor, path: str, params: Any, back: str, what: str) -> Response:
    """The API's CSV as it comes (back to the page when the API refuses it)."""
    stream = visitor.state.api.stream(path, params=params, client_ip=visitor.client_ip)
    try:
        upstream = await stream.__aenter__()
    except httpx.HTTPError as exc:  # the API unreachable: the error page says so
        raise ApiUnavailable(type(exc).__name__) from exc
    if upstream.status_code != 200:
        await stream.__aexit__(None, None, None)
        return redirect(back)

    return relayed(
        stream,
        upstream,
        upstream.headers.get("content-type", "text/csv; charset=utf-8"),
        {
            "Content-Disposition": upstream.headers.get(
                "content-disposition", f'attachment; filename="{what}.csv"'
            )
        },
    )


@router.get("/classement/export", response_model=None)
async def ranking_export(visitor: VisitorDep) -> Response:
    method = await _method(visitor)
    regions = (await territories(visitor.state.api, visitor.client_ip)).regions
    wanted = view.read_query(visitor.request.query_params.multi_items(), method, regions)
    if wanted.errors:
        return redirect(wanted.href())
    params = {k: v for k, v in wanted.params.items() if k not in ("page", "per_page")}
    return await _streamed(
        visitor,
        "/public-buyers/ranking",
        {**params, "format": "csv"},
        wanted.href(),
        "classement-acheteurs",
    )


@router.get("/acheteurs", response_class=HTMLResponse)
async def find(visitor: VisitorDep, q: str = "") -> Response:
    text = q.strip()[:100]
    error = None
    hits: list[dict[str, Any]] = []
    if len(text) < 2:
        error = "Indiquez au moins deux caractères du nom ou du SIRET de l'acheteur."
    else:
        try:
            hits = (
                await visitor.state.api.get(
                    "/public-buyers", params={"q": text}, client_ip=visitor.client_ip
                )
            )["items"]
        except ApiProblem as problem:
            error = problem.detail or problem.title
    digits = text.replace(" ", "")
    if len(hits) == 1 and digits == hits[0]["siret"]:
        return RedirectResponse(f"/acheteurs/{hits[0]['siret']}", status_code=303)
    return visitor.render(
        "buyers/find.html",
        {
            "section": SECTION,
            "values": {"q": text},
            "errors": {"q": error} if error else {},
            "hits": hits,
            "breadcrumb": [
                ("Classement des acheteurs", "/classement"),
                ("Trouver un acheteur", ""),
            ],
        },
        status_code=400 if error else 200,
    )


@router.get("/acheteurs/{siret}", response_class=HTMLResponse)
async def buyer_page(siret: str, visitor: VisitorDep) -> HTMLResponse:
    try:
        page = await buyer_view.load(visitor.state.api, siret, visitor.client_ip)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return visitor.render(
            "buyers/not_found.html",
            {
                "siret": siret,
                "section": SECTION,
                "breadcrumb": [("Classement des acheteurs", "/classement"), ("Acheteur", "")],
            },
            status_code=404,
        )
    return visitor.render(
        "buyers/buyer.html",
        {
            "section": SECTION,
            "page": page,
            "buyer": page.buyer,
            "percent": view.percent,
            "ordinal": view.ordinal,
            "families": buyer_view.families,
            "kinds": buyer_view.kinds,
            "breadcrumb": [
                ("Classement des acheteurs", "/classement"),
                (page.buyer["name"], ""),
            ],
        },
    )


@router.get("/acheteurs/{siret}/export", response_model=None)
async def buyer_export(siret: str, visitor: VisitorDep) -> Response:
    back = f"/acheteurs/{quote(siret, safe='')}"
    return await _streamed(
        visitor,
        f"/public-buyers/{quote(siret, safe='')}",
        {"format": "csv"},
        back,
        f"acheteur-{siret}",
    )
