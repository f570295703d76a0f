"""Pages: a need received by e-mail, read and answered through the mail's link, without an
account — the same page and rules as a manager's, for those who never log in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from services.web import received_needs_view as view
from services.web.api import ApiProblem
from services.web.link_tokens import LinkCookie
from services.web.visitor import CheckedForm, Visitor, VisitorDep

router = APIRouter()
Token = Path(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_.~-]+$")
# The link's own lifetime is the API's; the browser keeps it a week for a page left open.
ANSWER = LinkCookie("mi_reponse", "/repondre", b"answer-link", 7 * 86_400)


def _calls(visitor: Visitor) -> dict[str, Any]:
    return {"user": visitor.user, "client_ip": visitor.client_ip}


@router.get("/repondre/{token}", response_model=None)
async def open_link(visitor: VisitorDep, token: str = Token) -> Response:
    return ANSWER.land(visitor.state.settings, token)


def _lost(visitor: Visitor, problem: ApiProblem | None = None) -> HTMLResponse:
    """No link held, or one the API no longer takes (expired, altered)."""
    return visitor.render(
        "received/link_lost.html",
        {"breadcrumb": [("Répondre à un besoin", "")], "problem": problem},
        status_code=problem.status if problem is not None and problem.status != 422 else 404,
    )


async def _page(
    visitor: Visitor,
    token: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    sent: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        need: dict[str, Any] = await visitor.state.api.get(f"/answers/{token}", **_calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (400, 401, 403, 404, 410, 422):
            raise
        return _lost(visitor, problem)
    errors = errors or {}
    answer = (sent or {}).get("status") or need.get("your_answer")
    if values is None:
        values = view.answer_values(need, answer, "")
    return visitor.render(
        "received/by_link.html",
        {
            "breadcrumb": [("Répondre à un besoin", "")],
            "need": need,
            "form_action": "/repondre",
            "status": view.status_of({**need, "opened": True, "answer": answer}),
            "answer": answer,
            "sent": sent,
            "open_to_answers": need.get("status") == "published"
            and not view.is_past(need.get("deadline")),
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
            "status_labels": view.STATUS_LABELS,
            "status_badges": view.STATUS_BADGES,
            "need_kinds": view.NEED_KINDS,
            "answer_labels": view.ANSWER_LABELS,
        },
        status_code=status_code,
    )


@router.get("/repondre", response_class=HTMLResponse)
async def read_need(visitor: VisitorDep, request: Request) -> HTMLResponse:
    token = ANSWER.held(visitor.state.settings, request)
    if token is None:
        return _lost(visitor)
    return await _page(visitor, token)


@router.post("/repondre", response_class=HTMLResponse)
async def answer_need(visitor: VisitorDep, form: CheckedForm, request: Request) -> HTMLResponse:
    token = ANSWER.held(visitor.state.settings, request)
    if token is None:
        return _lost(visitor)
    try:
        need: dict[str, Any] = await visitor.state.api.get(f"/answers/{token}", **_calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (400, 401, 403, 404, 410, 422):
            raise
        return _lost(visitor, problem)
    typed = view.read_answer(form, view.questions(need))
    if need.get("status") != "published" or view.is_past(need.get("deadline")):
        typed.errors["_"] = "Ce besoin n'accepte plus de réponses : sa date limite est passée."
    if typed.errors:
        return await _page(visitor, token, typed.values, typed.errors, None, 422)
    try:
        sent: dict[str, Any] = await visitor.state.api.post(
            f"/answers/{token}", typed.body, **_calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors = view.field_errors(problem, typed.values["status"] == "not_interested")
        return await _page(
            visitor, token, typed.values, errors, None, 409 if problem.status == 409 else 422
        )
    # What was sent is shown in full on the page that answers the POST.
    return await _page(visitor, token, typed.values, None, sent)
