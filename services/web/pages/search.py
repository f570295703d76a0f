"""Pages: home, results, export."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.web.visitor import VisitorDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render("search/home.html", {"section": "recherche"})
