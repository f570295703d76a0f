"""Pages: home, results, export, and the suggestions of the search fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from services.common.text import fold
from services.web import search_view as view
from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.places import territories
from services.web.search_places import Resolved, commune_place, matching_places, resolve
from services.web.sectors import sector_catalogue
from services.web.visitor import Visitor, VisitorDep, redirect

router = APIRouter()
# Sectors shown as shortcuts on the home page, when the taxonomy has them.
POPULAR_SECTORS = (
    "nettoyage-de-locaux-16",
    "creation-et-entretien-des-espaces-verts",
    "traiteur",
    "blanchisserie",
    "recyclage-papiers-et-fournitures-dentreprises",
    "tous-travaux-et-petits-bricolages-42",
)


async def _sector_names(visitor: Visitor) -> dict[str, str]:
    """slug -> name, from the reference API (kept an hour: the taxonomy rarely changes)."""
    return (await sector_catalogue(visitor.state.api, visitor.client_ip)).names


async def _communes(visitor: Visitor, text: str) -> list[dict[str, Any]]:
    if len(text.strip()) < 2:
        return []
    found: list[dict[str, Any]] = await visitor.state.api.get(
        "/reference/communes", params={"q": text.strip()[:80]}, client_ip=visitor.client_ip
    )
    return found


@router.get("/", response_class=HTMLResponse)
async def home(visitor: VisitorDep) -> HTMLResponse:
    try:
        names = await _sector_names(visitor)
    except ApiUnavailable:  # the search form works all the same; only the shortcuts wait
        names = {}
    popular = [(slug, names[slug]) for slug in POPULAR_SECTORS if slug in names]
    return visitor.render(
        "search/home.html",
        {"section": "recherche", "popular": popular, "values": {}, "errors": {}},
    )


@router.get("/recherche", response_class=HTMLResponse)
async def results(visitor: VisitorDep) -> Response:
    url = view.SearchUrl.of(visitor.request.query_params.multi_items())
    errors: dict[str, str] = {}
    problem: ApiProblem | None = None
    found: dict[str, Any] | None = None
    resolved = Resolved()
    if url.get("ou"):
        known = await territories(visitor.state.api, visitor.client_ip)
        resolved = await resolve(url.get("ou"), known, lambda t: _communes(visitor, t))
        if resolved.error:
            errors["ou"] = resolved.error
    elif url.get("autour") and not url.has_point:
        errors["ou"] = (
            "Votre position n'a pas pu être lue : indiquez une commune, un code postal "
            "ou un département."
        )
    if not errors:
        try:
            found = await visitor.state.api.get(
                "/search",
                params=url.api_params(resolved.place),
                user=visitor.user,
                client_ip=visitor.client_ip,
            )
        except ApiProblem as exc:
            problem = exc
            errors.update(view.form_errors(exc.by_field()))
            if not exc.by_field():
                errors["q"] = exc.detail or exc.title
    sector_names = await _sector_names(visitor)
    facets = found["facets"] if found else {}
    hits = found["hits"] if found else []
    cpv_labels = {c["code"]: c["label"] for c in (found or {}).get("domain", {}).get("cpv", [])}
    context = {
        "section": "recherche",
        "url": url,
        "values": {
            "q": url.get("q"),
            "ou": resolved.place.label if resolved.place else url.get("ou"),
        },
        "errors": errors,
        "problem": problem,
        "found": found,
        "place": resolved.place,
        "around": view.around_label(url, resolved.place),
        "candidates": resolved.candidates,
        "groups": view.filter_groups(url, facets),
        "flags": view.flag_filters(url, facets),
        "tags": view.active_tags(url, resolved.place, sector_names, cpv_labels),
        "cards": [view.card_of(h, url.get("q")) for h in hits],
        "markers": view.markers(hits),
        "has_markers": bool(view.markers(hits)),
        "pagination": view.pagination(url, url.page, found["total"]) if found else None,
        "radius_options": [(str(r), f"{r} km") for r in view.RADII],
        "sorts": view.SORTS,
        "hidden": [
            (k, v)
            for k, v in url.pairs
            if k in ("sector", "sector_group", "cpv", "naf", "lat", "lng", *view.PLACE_PARAMS)
        ],
        "breadcrumb": [("Recherche", "/recherche")],
    }
    status = 400 if errors and not visitor.is_htmx else 200
    partial = (
        visitor.is_htmx and visitor.request.headers.get("HX-History-Restore-Request") != "true"
    )
    template = "search/_search.html" if partial else "search/results.html"
    return visitor.render(template, context, status_code=status, headers={"Vary": "HX-Request"})


@router.get("/recherche/export", response_model=None)
async def export(
    visitor: VisitorDep, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv"
) -> Response:
    """The whole result set, streamed from the API as it comes."""
    items = [(k, v) for k, v in visitor.request.query_params.multi_items() if k != "format"]
    url = view.SearchUrl.of(items)
    back = redirect("/recherche?" + url.query)
    resolved = Resolved()
    if url.get("ou"):
        known = await territories(visitor.state.api, visitor.client_ip)
        resolved = await resolve(url.get("ou"), known, lambda t: _communes(visitor, t))
        if resolved.error:
            return back
    stream = visitor.state.api.stream(
        "/search/export",
        params=url.export_params(resolved.place, format),
        user=visitor.user,
        client_ip=visitor.client_ip,
    )
    upstream = await stream.__aenter__()
    if upstream.status_code != 200:
        await stream.__aexit__(None, None, None)
        return back

    headers = {
        "Content-Disposition": upstream.headers.get(
            "content-disposition", f'attachment; filename="fournisseurs-inclusifs.{format}"'
        )
    }
    return relayed(
        stream,
        upstream,
        upstream.headers.get("content-type", "application/octet-stream"),
        headers,
    )


@router.get("/suggestions/lieux", response_class=HTMLResponse)
async def place_suggestions(visitor: VisitorDep, ou: str = "") -> HTMLResponse:
    text = ou.strip()[:80]
    options: list[tuple[str, str]] = []
    if len(text) >= 2 or (text.isdigit() and text):
        known = await territories(visitor.state.api, visitor.client_ip)
        places = matching_places(known, text) + [
            commune_place(c) for c in await _communes(visitor, text)
        ]
        kinds = {"commune": "commune", "department": "département", "region": "région"}
        options = [(p.label, kinds[p.param]) for p in places[:10]]
    return visitor.render(
        "search/_suggestions.html", {"field": "ou", "options": options, "text": text}
    )


@router.get("/suggestions/quoi", response_class=HTMLResponse)
async def what_suggestions(visitor: VisitorDep, q: str = "") -> HTMLResponse:
    text = q.strip()[:100]
    options: list[tuple[str, str, str, str]] = []  # label, kind, parameter, value
    if len(text) >= 2:
        wanted = fold(text)
        names = await _sector_names(visitor)
        sectors = [(slug, name) for slug, name in names.items() if wanted in fold(name)]
        sectors.sort(key=lambda pair: (not fold(pair[1]).startswith(wanted), pair[1]))
        options += [(name, "secteur", "sector", slug) for slug, name in sectors[:6]]
        try:
            cpv = await visitor.state.api.get(
                "/reference/cpv", params={"q": text}, client_ip=visitor.client_ip
            )
        except ApiProblem:
            cpv = []
        options += [(f"{c['code']} — {c['label']}", "code CPV", "cpv", c["code"]) for c in cpv[:6]]
    return visitor.render("search/_suggestions_what.html", {"options": options, "text": text})
