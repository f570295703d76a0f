"""Pages: a supplier manager's home (the structures they manage, their claims in progress) and
one structure's dashboard (completion, needs by status, views, the public listing)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.common.params import IdPath
from services.web.completion import completion
from services.web.dashboard_view import (
    CLAIM_LABELS,
    NEED_STATUS,
    claims_in_progress,
    needs_by_status,
    optional,
    structure_cards,
    views_summary,
)
from services.web.manage_view import is_staff, managed_structure, my_account
from services.web.visitor import SignedInDep

router = APIRouter()


@router.get("/espace-structure", response_class=HTMLResponse)
async def manager_home(visitor: SignedInDep) -> HTMLResponse:
    me = await my_account(visitor)
    managed = me.get("structures")
    claims = me.get("claims")
    return visitor.render(
        "manage/dashboard_home.html",
        {
            "section": "structure",
            "breadcrumb": [("Ma structure", "")],
            "cards": await structure_cards(visitor, managed or []),
            "catalog_missing": managed is None,
            "claims": claims_in_progress(claims or []),
            "claim_labels": CLAIM_LABELS,
            "staff": is_staff(visitor),
        },
    )


@router.get("/espace-structure/{structure_id}", response_class=HTMLResponse)
async def structure_dashboard(visitor: SignedInDep, structure_id: IdPath) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    offers, needs, views = await asyncio.gather(
        optional(visitor, f"/structures/{structure_id}/offers"),
        optional(visitor, f"/structures/{structure_id}/needs"),
        optional(visitor, f"/structures/{structure_id}/views"),
    )
    return visitor.render(
        "manage/dashboard.html",
        {
            "section": "structure",
            "breadcrumb": [("Ma structure", "/espace-structure"), (managed.name, "")],
            "managed": managed,
            "current": "apercu",
            "completion": completion(managed.structure, offers, managed.href()),
            "needs": needs_by_status(needs) if isinstance(needs, list) else None,
            "need_status": NEED_STATUS,
            "views": views_summary(views),
        },
    )
