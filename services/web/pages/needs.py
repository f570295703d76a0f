"""Pages: a buyer's needs — the deposit in five steps, the list by status, one need with its
matched suppliers, their answers, exports, closing and the buyer's reminder."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import needs_view as view
from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.places import territories
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
NeedId = Path(ge=1, le=2**31)
Step = Path(ge=1, le=view.LAST_STEP)
TITLE = "Déposer un besoin"


async def _need(visitor: Visitor, need_id: int) -> tuple[dict[str, Any], str]:
    """The need and its ETag."""
    response = await visitor.state.api.send(
        "GET", f"/needs/{need_id}", user=visitor.user, client_ip=visitor.client_ip
    )
    need: dict[str, Any] = response.json()
    return need, response.headers.get("etag", "")


async def _get(visitor: Visitor, path: str, **params: Any) -> Any:
    return await visitor.state.api.get(
        path, params=params or None, user=visitor.user, client_ip=visitor.client_ip
    )


async def _sector_groups(visitor: Visitor) -> list[dict[str, Any]]:
    return (await sector_catalogue(visitor.state.api, visitor.client_ip)).rows


async def _place_names(visitor: Visitor, level: str | None, code: str | None) -> dict[str, str]:
    """The name of a commune, read from the communes' reference, or of a territory."""
    if not level or not code:
        return {}
    if level != "commune":
        known = await territories(visitor.state.api, visitor.client_ip)
        return view.territory_names(level, code, known)
    try:
        communes = await _get(visitor, "/reference/communes", q=code)
    except ApiProblem:
        return {}
    for commune in communes:
        if commune["code"] == code:
            return {f"commune:{code}": commune["name"]}
    return {}


async def _cpv_labels(visitor: Visitor, codes: list[str]) -> dict[str, str]:
    async def one(code: str) -> tuple[str, str]:
        try:
            found = await _get(visitor, "/reference/cpv", q=code)
        except ApiProblem:
            return code, ""
        return code, next((e["label"] for e in found if e["code"] == code), "")

    return dict(await asyncio.gather(*(one(c) for c in codes[:20])))


async def _suggest_cpv(visitor: Visitor, text: str) -> list[dict[str, Any]]:
    if len(text.strip()) < 2:
        return []
    try:
        found: list[dict[str, Any]] = await _get(visitor, "/reference/cpv", q=text.strip()[:100])
    except ApiProblem:
        return []
    return found


async def _suggest_places(visitor: Visitor, text: str) -> list[tuple[str, str]]:
    if len(text.strip()) < 2:
        return []
    choices: list[tuple[str, str]] = []
    typed = view.typed_place(text)
    try:
        communes = await _get(visitor, "/reference/communes", q=text.strip()[:80])
    except ApiProblem:
        communes = []
    known = await territories(visitor.state.api, visitor.client_ip)
    choices.extend(view.place_choices(communes[:8], known))
    if typed and typed not in dict(choices):
        code = typed.split(":", 1)[1]
        name = known.department_name(code)
        choices.insert(
            0, (typed, f"Département : {name} ({code})" if name else f"Département {code}")
        )
    return choices


def _steps_context(need: dict[str, Any] | None, step: int) -> dict[str, Any]:
    return {
        "steps": view.STEPS,
        "step": step,
        "step_title": dict(view.STEPS)[step],
        "next_title": dict(view.STEPS).get(step + 1),
        "need": need,
        "section": "besoins",
        "breadcrumb": [("Mes besoins", "/besoins"), (TITLE, "")],
    }


async def _render_step(
    visitor: Visitor,
    need: dict[str, Any] | None,
    etag: str,
    step: int,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
    from_review: bool = False,
) -> HTMLResponse:
    errors = errors or {}
    context: dict[str, Any] = {
        **_steps_context(need, step),
        "etag": etag,
        "values": values,
        "errors": errors,
        "problem": view.summary(errors, "Ce formulaire contient des erreurs"),
        "notice": notice,
        "from_review": from_review,
        "need_kinds": view.NEED_KINDS,
    }
    if step in (1, 3):
        context["sector_groups"] = await _sector_groups(visitor)
    if step == 3:
        context |= {
            "presta_types": view.PRESTA_TYPES,
            "kinds": view.KINDS,
            "reservations": view.RESERVATIONS,
            "cpv_labels": await _cpv_labels(visitor, values.get("cpv_codes", [])),
            "cpv_suggestions": await _suggest_cpv(visitor, values.get("cpv_search", "")),
            "place_suggestions": await _suggest_places(visitor, values.get("place_search", "")),
        }
        level, _, code = str(values.get("place", "")).partition(":")
        context["place_label"] = (
            view.place_label(level, code, await _place_names(visitor, level, code))
            if level and code
            else ""
        )
    if step == 4:
        context["question_slots"] = range(view.MAX_QUESTIONS)
    if step == view.LAST_STEP and need is not None:
        context |= await _review_context(visitor, need)
    return visitor.render(f"needs/step_{step}.html", context, status_code=status_code)


async def _review_context(visitor: Visitor, need: dict[str, Any]) -> dict[str, Any]:
    names = (await sector_catalogue(visitor.state.api, visitor.client_ip)).names
    return {
        "sector_labels": [names.get(s, s) for s in need["sectors"]],
        "cpv_labels": await _cpv_labels(visitor, need["cpv_codes"]),
        "place_label": view.place_label(
            need["place_level"],
            need["place_code"],
            await _place_names(visitor, need["place_level"], need["place_code"]),
        ),
        "kind_label": dict(view.NEED_KINDS).get(need["kind"], need["kind"]),
        "presta_labels": dict(view.PRESTA_TYPES),
        "reservation_label": dict(view.RESERVATIONS).get(need["reservation"] or "", ""),
    }


@router.get("/besoins/nouveau", response_class=HTMLResponse)
async def new_need(
    visitor: SignedInDep,
    depuis: str | None = Query(default=None, max_length=40),
    sector: str | None = Query(default=None, max_length=128),
    secteur: str | None = Query(default=None, max_length=128),
    commune: str | None = Query(default=None, max_length=5),
    department: str | None = Query(default=None, max_length=3),
    region: str | None = Query(default=None, max_length=3),
) -> HTMLResponse:
    params = {
        k: v
        for k, v in {
            "sector": sector,
            "secteur": secteur,
            "commune": commune,
            "department": department,
            "region": region,
        }.items()
        if v
    }
    values = {"kind": "appel_offres", **view.prefill(params)} if depuis or params else {}
    return await _render_step(visitor, None, "", 1, values)


@router.post("/besoins/nouveau", response_model=None)
async def create_need(visitor: SignedInDep, form: CheckedForm) -> Response:
    typed = view.read_step(1, form)
    place = form.get("place")
    typed.values["place"] = place if isinstance(place, str) else ""
    if not typed.values["sector"]:
        typed.errors["sector"] = "choisissez le secteur d'achat principal"
    if typed.errors:
        return await _render_step(visitor, None, "", 1, typed.values, typed.errors, 422)
    body = {
        **typed.change,
        "sectors": [typed.values["sector"]],
        "place": view.place_of(typed.values["place"]),
        "publish": False,
    }
    try:
        created = await visitor.state.api.post(
            "/needs", body, user=visitor.user, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        errors = view.field_errors(problem)
        return await _render_step(visitor, None, "", 1, typed.values, errors, 422)
    return redirect(f"/besoins/{created['id']}/etape/2")


@router.get("/besoins/{need_id}/etape/{step}", response_class=HTMLResponse)
async def show_step(
    visitor: SignedInDep,
    need_id: int = NeedId,
    step: int = Step,
    revue: int = Query(default=0, ge=0, le=1),
) -> HTMLResponse:
    need, etag = await _need(visitor, need_id)
    if need["status"] not in ("draft", "moderation", "published"):
        return visitor.render(
            "needs/closed.html",
            {"need": need, "section": "besoins", "status_label": view.STATUS_LABELS},
            status_code=409,
        )
    return await _render_step(
        visitor, need, etag, step, view.step_values(step, need), from_review=bool(revue)
    )


@router.post("/besoins/{need_id}/etape/{step}", response_model=None)
async def save_step(
    visitor: SignedInDep, form: CheckedForm, need_id: int = NeedId, step: int = Step
) -> Response:
    etag = form.get("etag")
    etag = etag if isinstance(etag, str) else ""
    from_review = form.get("revue") == "1"
    action = form.get("action")
    if step == view.LAST_STEP:
        return await _publish(visitor, need_id)
    typed = view.read_step(step, form)
    need, current = await _need(visitor, need_id)
    if step == 3 and action in ("chercher-lieu", "chercher-cpv"):
        # Without scripts, suggestions come back with the form as it was typed.
        return await _render_step(visitor, need, etag, step, typed.values, from_review=from_review)
    if step == 3 and typed.values["place_search"]:
        # A place typed but not chosen is never dropped silently.
        place = view.typed_place(typed.values["place_search"])
        offered = dict(await _suggest_places(visitor, typed.values["place_search"]))
        if place is not None and typed.values["place"] not in offered:
            typed.values["place"] = place
            typed.change["place"] = view.place_of(place)
        elif typed.values["place"] not in offered:
            typed.errors["place"] = "choisissez le lieu parmi les propositions"
    if step == 1:
        rest = [s for s in need["sectors"] if s != typed.values["sector"]]
        typed.change["sectors"] = (
            [typed.values["sector"], *rest] if typed.values["sector"] else rest
        )
    if typed.errors:
        return await _render_step(
            visitor, need, etag, step, typed.values, typed.errors, 422, from_review=from_review
        )
    try:
        await visitor.state.api.send(
            "PATCH",
            f"/needs/{need_id}",
            json=typed.change,
            headers={"If-Match": etag},
            user=visitor.user,
            client_ip=visitor.client_ip,
        )
    except ApiProblem as problem:
        if problem.status == 412:
            notice = (
                "Ce besoin a été modifié ailleurs (autre onglet ou autre personne) depuis que "
                "vous avez ouvert cette étape. Vos saisies sont conservées ci-dessous : "
                "vérifiez-les puis enregistrez de nouveau pour les appliquer."
            )
            return await _render_step(
                visitor, need, current, step, typed.values, {}, 409, notice, from_review
            )
        if problem.status != 422:
            raise
        errors = view.field_errors(problem)
        return await _render_step(
            visitor, need, etag, step, typed.values, errors, 422, from_review=from_review
        )
    following = view.LAST_STEP if from_review else step + 1
    return redirect(f"/besoins/{need_id}/etape/{following}")


async def _publish(visitor: Visitor, need_id: int) -> Response:
    need, etag = await _need(visitor, need_id)
    if need["status"] != "draft":
        return redirect(f"/besoins/{need_id}")
    try:
        await visitor.state.api.post(
            f"/needs/{need_id}/publish", user=visitor.user, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _render_step(
            visitor, need, etag, view.LAST_STEP, {}, view.field_errors(problem), 409
        )
    return redirect(f"/besoins/{need_id}?publie=1")


@router.get("/besoins", response_class=HTMLResponse)
async def my_needs(visitor: SignedInDep) -> HTMLResponse:
    needs: list[dict[str, Any]] = await _get(visitor, "/needs")
    return visitor.render(
        "needs/list.html",
        {
            "groups": view.grouped(needs),
            "total": len(needs),
            "status_label": view.STATUS_LABELS,
            "badges": view.STATUS_BADGES,
            "resume_step": view.resume_step,
            "kind_labels": dict(view.NEED_KINDS),
            "section": "besoins",
            "breadcrumb": [("Mes besoins", "")],
        },
    )


async def _source_project(visitor: Visitor, need: dict[str, Any]) -> dict[str, Any] | None:
    """The purchase project the need was deposited from, when the viewer may see it (a member
    of its organisation, or staff); None otherwise, or when it cannot be read just now."""
    project_id = need.get("project_id")
    if not project_id:
        return None
    try:
        project: dict[str, Any] = await _get(visitor, f"/projects/{int(project_id)}")
    except (ApiProblem, ApiUnavailable):
        return None
    return project


async def _need_page(
    visitor: Visitor,
    need_id: int,
    reminder_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    need, _ = await _need(visitor, need_id)
    matches_json, answers, reminder, project = await asyncio.gather(
        _get(visitor, f"/needs/{need_id}/matches"),
        _get(visitor, f"/needs/{need_id}/answers"),
        _get(visitor, f"/needs/{need_id}/remind"),
        _source_project(visitor, need),
    )
    matches = [view.match_view(m) for m in matches_json]
    query = visitor.request.query_params
    return visitor.render(
        "needs/need.html",
        {
            "need": need,
            "project": project,
            "matches": matches,
            "counts": view.match_counts(matches),
            "answers": answers,
            "answer_labels": view.ANSWER_LABELS,
            "reminder": reminder,
            "reminder_error": reminder_error,
            "reminded": query.get("relance"),
            "published_now": query.get("publie") == "1",
            "status_label": view.STATUS_LABELS,
            "badges": view.STATUS_BADGES,
            "score_parts": view.SCORE_PARTS,
            "resume_step": view.resume_step(need),
            **(await _review_context(visitor, need)),
            "section": "besoins",
            "breadcrumb": [("Mes besoins", "/besoins"), (need["title"], "")],
        },
        status_code=status_code,
    )


@router.get("/besoins/{need_id}", response_class=HTMLResponse)
async def show_need(visitor: SignedInDep, need_id: int = NeedId) -> HTMLResponse:
    return await _need_page(visitor, need_id)


@router.post("/besoins/{need_id}/relance", response_model=None)
async def remind(visitor: SignedInDep, _form: CheckedForm, need_id: int = NeedId) -> Response:
    try:
        sent = await visitor.state.api.post(
            f"/needs/{need_id}/remind", user=visitor.user, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        return await _need_page(visitor, need_id, problem.detail, 409)
    return redirect(f"/besoins/{need_id}?relance={int(sent['reminded'])}#relance")


ACTIONS = {
    "clore": ("close", "Clore ce besoin", "Les structures ne pourront plus répondre."),
    "annuler": (
        "cancel",
        "Annuler ce besoin",
        "Le besoin sera retiré ; les structures ne pourront plus y répondre.",
    ),
}


@router.get("/besoins/{need_id}/{action}", response_class=HTMLResponse)
async def confirm(
    visitor: SignedInDep,
    need_id: int = NeedId,
    action: str = Path(pattern="^(clore|annuler)$"),
) -> HTMLResponse:
    need, _ = await _need(visitor, need_id)
    _, title, warning = ACTIONS[action]
    return visitor.render(
        "needs/confirm.html",
        {
            "need": need,
            "action": action,
            "title": title,
            "warning": warning,
            "section": "besoins",
            "breadcrumb": [
                ("Mes besoins", "/besoins"),
                (need["title"], f"/besoins/{need_id}"),
                (title, ""),
            ],
        },
    )


@router.post("/besoins/{need_id}/{action}", response_model=None)
async def change_status(
    visitor: SignedInDep,
    _form: CheckedForm,
    need_id: int = NeedId,
    action: str = Path(pattern="^(clore|annuler)$"),
) -> Response:
    verb = ACTIONS[action][0]
    await visitor.state.api.post(
        f"/needs/{need_id}/{verb}", user=visitor.user, client_ip=visitor.client_ip
    )
    return redirect(f"/besoins/{need_id}")


EXPORTS = {"structures": "matches", "reponses": "answers"}


@router.get("/besoins/{need_id}/export/{what}.csv", response_model=None)
async def export(
    visitor: SignedInDep,
    need_id: int = NeedId,
    what: str = Path(pattern="^(structures|reponses)$"),
) -> Response:
    """The API's CSV, streamed through."""
    api = visitor.state.api
    # A fresh token first: a stream cannot be retried once started.
    await _need(visitor, need_id)
    context = api.stream(
        f"/needs/{need_id}/{EXPORTS[what]}",
        params={"format": "csv"},
        user=visitor.user,
        client_ip=visitor.client_ip,
    )
    response = await context.__aenter__()
    if response.status_code != 200:
        await context.__aexit__(None, None, None)
        await _need(visitor, need_id)
        return redirect(f"/besoins/{need_id}")

    filename = f"{what}-besoin-{need_id}.csv"
    return relayed(
        context,
        response,
        "text/csv; charset=utf-8",
        {"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/besoins-suggestions/cpv", response_class=HTMLResponse)
async def cpv_suggestions(
    visitor: SignedInDep, cpv_search: str = Query(default="", max_length=100)
) -> HTMLResponse:
    return visitor.render(
        "needs/cpv_suggestions.html",
        {"cpv_suggestions": await _suggest_cpv(visitor, cpv_search), "values": {}},
    )


@router.get("/besoins-suggestions/lieux", response_class=HTMLResponse)
async def place_suggestions(
    visitor: SignedInDep, place_search: str = Query(default="", max_length=80)
) -> HTMLResponse:
    return visitor.render(
        "needs/place_suggestions.html",
        {"place_suggestions": await _suggest_places(visitor, place_search), "values": {}},
    )
