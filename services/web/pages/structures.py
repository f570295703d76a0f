"""Pages: a structure's page; the accessibility statement and the legal notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from services.common.params import IdPath
from services.web import structure_view
from services.web.api import ApiProblem
from services.web.visitor import VisitorDep

router = APIRouter()


@router.get("/structures/{structure_id}", response_class=HTMLResponse)
async def structure_page(
    structure_id: IdPath,
    visitor: VisitorDep,
    depuis: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    try:
        page = await structure_view.load(
            visitor.state.api,
            structure_id,
            depuis,
            visitor.user,
            visitor.client_ip,
            visitor.request.headers.get("user-agent"),
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return visitor.render(
            "structures/not_found.html",
            {"structure_id": structure_id, "section": "recherche"},
            status_code=404,
        )
    back = "/recherche" + (f"?{page.back_query}" if page.back_query else "")
    return visitor.render(
        "structures/page.html",
        {
            "page": page,
            "structure": page.structure,
            "section": "recherche",
            "breadcrumb": [
                ("Résultats de la recherche" if page.back_query else "Recherche", back),
                (page.structure["name"], ""),
            ],
            "back": back,
        },
    )


@router.get("/accessibilite", response_class=HTMLResponse)
async def accessibility(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render("structures/accessibility.html", {"breadcrumb": [("Accessibilité", "")]})


@router.get("/mentions-legales", response_class=HTMLResponse)
async def legal_notice(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render(
        "structures/legal.html", {"breadcrumb": [("Mentions légales et données", "")]}
    )
