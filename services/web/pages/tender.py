"""Pages: before a tender — market depth, the legal options and the insertion-hours calculator."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.web import tender_view
from services.web.places import territories
from services.web.sectors import sector_catalogue
from services.web.visitor import VisitorDep

router = APIRouter()


@router.get("/avant-un-achat", response_class=HTMLResponse)
async def before_tender(request: Request, visitor: VisitorDep) -> HTMLResponse:
    page = tender_view.TenderPage(tender_view.read_values(request.query_params))
    api, user, client_ip = visitor.state.api, visitor.user, visitor.client_ip
    if page.depth_asked:
        await tender_view.build_depth(api, page, user, client_ip)
    if page.hours_asked:
        await tender_view.build_hours(api, page, user, client_ip)
    catalogue = await sector_catalogue(api)
    departements, regions = tender_view.place_options(
        await territories(api, client_ip), page.values
    )
    return visitor.render(
        "tender/page.html",
        {
            "page": page,
            "values": page.values,
            "errors": page.errors,
            "catalogue": catalogue,
            "departements": departements,
            "regions": regions,
            "labels": tender_view.FIELD_LABELS,
            "section": "avant-achat",
            "breadcrumb": [("Avant un achat", "")],
            "full_time_hours": tender_view.FULL_TIME_HOURS,
        },
    )


@router.get("/avant-un-achat/cpv", response_class=HTMLResponse)
async def cpv_suggestions(
    visitor: VisitorDep, cpv_q: str = Query("", max_length=100)
) -> HTMLResponse:
    """The codes matching the words typed, as choices inside the form (htmx fragment)."""
    words = cpv_q.strip()
    choices = (
        await tender_view.cpv_suggestions(
            visitor.state.api, words, user=visitor.user, client_ip=visitor.client_ip
        )
        if len(words) >= 2
        else []
    )
    return visitor.render(
        "tender/cpv_choices.html", {"choices": choices, "typed": words, "chosen": ""}
    )
