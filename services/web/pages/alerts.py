"""Pages: a buyer's saved searches and their e-mail alerts, and the e-mail's unsubscribe link
(which works without logging in)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import ApiProblem
from services.web.lists_view import (
    FREQUENCIES,
    FREQUENCY_LABELS,
    clean_name,
    form_errors,
    grouped,
    params_errors,
    place_names,
    query_of,
    search_in_words,
    search_params,
    sector_names,
    summary,
)
from services.web.places import territories
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, VisitorDep, redirect

router = APIRouter()
MAX_QUERY = 4000


def _calls(visitor: Visitor) -> dict[str, Any]:
    return {"user": visitor.user, "client_ip": visitor.client_ip}


@dataclass
class Names:
    """What the codes of a search are called: sectors, départements, régions."""

    sectors: dict[str, str]
    places: dict[str, dict[str, str]]

    def words(self, params: Mapping[str, list[str]]) -> list[str]:
        return search_in_words(params, self.sectors, self.places)


async def _names(visitor: Visitor) -> Names:
    api, ip = visitor.state.api, visitor.client_ip
    sectors, known = await asyncio.gather(sector_catalogue(api, ip), territories(api, ip))
    return Names(
        sector_names(sectors.rows),
        {
            "department": place_names(
                {"code": d.code, "name": d.name} for d in known.departments.values()
            ),
            "region": place_names({"code": c, "name": n} for c, n in known.regions.items()),
        },
    )


async def _index(
    visitor: Visitor, errors: dict[int, str] | None = None, chosen: dict[int, str] | None = None
) -> HTMLResponse:
    searches = await visitor.state.api.get("/saved-searches", **_calls(visitor))
    names = await _names(visitor)
    shown = [
        {
            **row,
            "words": names.words(row.get("params", {})),
            "frequency_label": FREQUENCY_LABELS.get(row["frequency"], row["frequency"]),
            "chosen": (chosen or {}).get(row["id"], row["frequency"]),
        }
        for row in searches
    ]
    return visitor.render(
        "alerts/index.html",
        {
            "section": "alertes",
            "breadcrumb": [("Mes alertes", "/alertes")],
            "searches": shown,
            "frequencies": FREQUENCIES,
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/alertes", response_class=HTMLResponse)
async def my_alerts(visitor: SignedInDep) -> HTMLResponse:
    return await _index(visitor)


async def _new_page(
    visitor: Visitor,
    query: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    words = (await _names(visitor)).words(grouped(search_params(query)))
    return visitor.render(
        "alerts/new.html",
        {
            "section": "alertes",
            "breadcrumb": [("Mes alertes", "/alertes"), ("Nouvelle alerte", "")],
            "query": query,
            "words": words,
            "frequencies": FREQUENCIES,
            "values": values,
            "errors": errors or {},
            "problem": summary(problem, errors),
            "params_errors": params_errors(problem) if problem else [],
        },
        status_code=400 if errors or problem else 200,
    )


@router.get("/alertes/nouvelle", response_class=HTMLResponse)
async def new_alert(visitor: SignedInDep, request: Request) -> HTMLResponse:
    query = query_of(search_params(request.url.query[:MAX_QUERY]))
    words = (await _names(visitor)).words(grouped(search_params(query)))
    suggested = words[0][:100] if query else ""
    return await _new_page(visitor, query, {"name": suggested, "frequency": "weekly"})


@router.post("/alertes/nouvelle", response_class=HTMLResponse)
async def save_alert(visitor: SignedInDep, form: CheckedForm) -> Response:
    query = query_of(search_params(str(form.get("params") or "")[:MAX_QUERY]))
    name = clean_name(form.get("name"))
    frequency = clean_name(form.get("frequency"))
    values = {"name": str(form.get("name") or ""), "frequency": frequency}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Donnez un nom à cette recherche."
    if frequency not in FREQUENCY_LABELS:
        errors["frequency"] = "Choisissez la fréquence des alertes."
    if errors:
        return await _new_page(visitor, query, values, errors)
    body = {"name": name, "params": query, "frequency": frequency}
    try:
        await visitor.state.api.post("/saved-searches", body, **_calls(visitor))
    except ApiProblem as problem:
        fields = {k: v for k, v in form_errors(problem).items() if k in ("name", "frequency")}
        return await _new_page(visitor, query, values, fields, problem)
    return redirect("/alertes")


@router.post("/alertes/{saved_search_id}/frequence", response_class=HTMLResponse)
async def change_frequency(
    visitor: SignedInDep, form: CheckedForm, saved_search_id: int
) -> Response:
    frequency = clean_name(form.get("frequency"))
    if frequency not in FREQUENCY_LABELS:
        return await _index(
            visitor, {saved_search_id: "Choisissez une fréquence parmi celles proposées."}
        )
    await visitor.state.api.send(
        "PATCH",
        f"/saved-searches/{saved_search_id}",
        json={"frequency": frequency},
        **_calls(visitor),
    )
    return redirect(f"/alertes#alerte-{saved_search_id}")


@router.get("/alertes/{saved_search_id}/supprimer", response_class=HTMLResponse)
async def confirm_delete(visitor: SignedInDep, saved_search_id: int) -> HTMLResponse:
    found = await visitor.state.api.get(f"/saved-searches/{saved_search_id}", **_calls(visitor))
    return visitor.render(
        "alerts/delete.html",
        {
            "section": "alertes",
            "breadcrumb": [("Mes alertes", "/alertes"), ("Supprimer", "")],
            "search": found,
            "words": (await _names(visitor)).words(found.get("params", {})),
        },
    )


@router.post("/alertes/{saved_search_id}/supprimer", response_class=HTMLResponse)
async def delete_alert(visitor: SignedInDep, form: CheckedForm, saved_search_id: int) -> Response:
    await visitor.state.api.send("DELETE", f"/saved-searches/{saved_search_id}", **_calls(visitor))
    return redirect("/alertes")


Token = Annotated[str, Query(max_length=200)]


async def _unsubscribe_page(visitor: Visitor, token: str) -> HTMLResponse:
    """What the e-mail's link would stop, and the button that stops it. The token only travels
    in the form's hidden field: the answer to the button is a page without it."""
    context: dict[str, Any] = {"breadcrumb": [("Se désinscrire d'une alerte", "")]}
    status = 200
    try:
        context["status"] = await visitor.state.api.get(
            "/alerts/unsubscribe", params={"token": token}, client_ip=visitor.client_ip
        )
        context["token"] = token
    except ApiProblem as problem:
        context["refused"], status = problem, 404 if problem.status in (401, 403, 404, 422) else 400
    return visitor.render("alerts/unsubscribe.html", context, status_code=status)


@router.get("/alertes/desinscription", response_class=HTMLResponse)
async def unsubscribe_link(visitor: VisitorDep, token: Token = "") -> HTMLResponse:
    return await _unsubscribe_page(visitor, token)


# The same link under its other French name, so that both addresses work.
@router.get("/alertes/desabonnement", response_class=HTMLResponse)
async def unsubscribe_link_alias(visitor: VisitorDep, token: Token = "") -> HTMLResponse:
    return await _unsubscribe_page(visitor, token)


@router.post("/alertes/desinscription", response_class=HTMLResponse)
async def unsubscribe(visitor: VisitorDep, form: CheckedForm) -> Response:
    token = str(form.get("token") or "")[:200]
    try:
        await visitor.state.api.post(
            "/alerts/unsubscribe", {"token": token}, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        return visitor.render(
            "alerts/unsubscribe.html",
            {"breadcrumb": [("Se désinscrire d'une alerte", "")], "refused": problem},
            status_code=404,
        )
    return redirect("/alertes/desinscription/faite")


@router.get("/alertes/desinscription/faite", response_class=HTMLResponse)
async def unsubscribed(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render(
        "alerts/unsubscribed.html",
        {"breadcrumb": [("Se désinscrire d'une alerte", "")]},
    )
