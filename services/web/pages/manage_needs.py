"""Pages: the buyers' needs a managed structure received — the list by status, one need in
full with its answer form (interested, as a groupement, or not with a reason), and the open
needs it did not match, with what to change to match them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from services.web import received_needs_view as view
from services.web.api import ApiProblem
from services.web.manage_view import Managed, calls, managed_structure
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor

router = APIRouter()
StructureId = Path(ge=1, le=2**31)
NeedId = Path(ge=1, le=2**31)
TITLE = "Besoins d'acheteurs"


def _breadcrumb(managed: Managed, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("Espace structure", "/espace-structure"),
        (managed.name, managed.href()),
        *more,
    ]


def _context(managed: Managed, *more: tuple[str, str]) -> dict[str, Any]:
    return {
        "managed": managed,
        "current": "besoins",
        "section": "structure",
        "breadcrumb": _breadcrumb(managed, *more),
        "status_labels": view.STATUS_LABELS,
        "status_badges": view.STATUS_BADGES,
        "need_kinds": view.NEED_KINDS,
        "answer_labels": view.ANSWER_LABELS,
    }


@router.get("/espace-structure/{structure_id}/besoins", response_class=HTMLResponse)
async def received_needs(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    statut: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    wanted = statut if statut in view.STATUS_CODES else None
    needs: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/needs", **calls(visitor)
    )
    shown, counts = view.received(needs, wanted)
    return visitor.render(
        "received/list.html",
        {
            **_context(managed, (TITLE, "")),
            "needs": shown,
            "counts": counts,
            "total": len(needs),
            "wanted": wanted,
            "unknown_filter": statut is not None and wanted is None,
            "statuses": view.STATUSES,
            "time_left": view.time_left,
            "days_left": view.days_left,
            "amount_band": view.amount_band,
            "buyer_kind": view.buyer_kind,
            "place": view.place,
            "why": view.why,
        },
    )


async def _need_page(
    visitor: Visitor,
    managed: Managed,
    need_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    sent: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    need: dict[str, Any] = await visitor.state.api.get(
        f"/structures/{managed.id}/needs/{need_id}", **calls(visitor)
    )
    errors = errors or {}
    answer = (sent or {}).get("status") or need.get("your_answer")
    if values is None:
        values = view.answer_values(need, answer, _contact_email(visitor, managed))
    open_to_answers = need.get("status") == "published" and not view.is_past(need.get("deadline"))
    return visitor.render(
        "received/need.html",
        {
            **_context(managed, (TITLE, managed.href("/besoins")), (str(need["title"]), "")),
            "need": need,
            "status": view.status_of({**need, "opened": True, "answer": answer}),
            "answer": answer,
            "sent": sent,
            "open_to_answers": open_to_answers,
            "questions": view.questions(need),
            "values": values,
            "errors": errors,
            "problem": view.summary(errors),
            "decline_reasons": view.DECLINE_REASONS,
            "time_left": view.time_left(need.get("deadline")),
            "amount_band": view.amount_band(need),
            "buyer_kind": view.buyer_kind(need),
            "place": view.place(need),
            "why": view.why(need),
        },
        status_code=status_code,
    )


def _contact_email(visitor: Visitor, managed: Managed) -> str:
    """The address offered to the buyer at first: the manager's own (never the structure's
    verification address, which only staff see)."""
    if visitor.user is not None and managed.role:
        return visitor.user.email
    return ""


@router.get("/espace-structure/{structure_id}/besoins/{need_id}", response_class=HTMLResponse)
async def received_need(
    visitor: SignedInDep, structure_id: int = StructureId, need_id: int = NeedId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _need_page(visitor, managed, need_id)


@router.post("/espace-structure/{structure_id}/besoins/{need_id}", response_class=HTMLResponse)
async def answer_need(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    need_id: int = NeedId,
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    need: dict[str, Any] = await visitor.state.api.get(
        f"/structures/{structure_id}/needs/{need_id}", **calls(visitor)
    )
    typed = view.read_answer(form, view.questions(need))
    if need.get("status") != "published" or view.is_past(need.get("deadline")):
        typed.errors["_"] = "Ce besoin n'accepte plus de réponses : sa date limite est passée."
    if typed.errors:
        return await _need_page(visitor, managed, need_id, typed.values, typed.errors, None, 422)
    try:
        sent: dict[str, Any] = await visitor.state.api.post(
            f"/structures/{structure_id}/needs/{need_id}/answer", typed.body, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = view.field_errors(problem, typed.values["status"] == "not_interested")
        return await _need_page(
            visitor,
            managed,
            need_id,
            typed.values,
            errors,
            None,
            409 if problem.status == 409 else 422,
        )
    # The page answers the POST itself: the API gives a structure back only its answer's
    # status, so what was sent is shown now, in full (sending it again changes nothing).
    return await _need_page(visitor, managed, need_id, typed.values, None, sent)


@router.get("/espace-structure/{structure_id}/besoins-ouverts", response_class=HTMLResponse)
async def open_needs(visitor: SignedInDep, structure_id: int = StructureId) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    needs: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/open-needs", **calls(visitor)
    )
    names = (await sector_catalogue(visitor.state.api, visitor.client_ip)).names
    return visitor.render(
        "received/open.html",
        {
            **_context(
                managed, (TITLE, managed.href("/besoins")), ("Besoins ouverts non reçus", "")
            ),
            "needs": [view.open_need_view(n, names) for n in needs],
            "time_left": view.time_left,
            "amount_band": view.amount_band,
            "place": view.place,
        },
    )
