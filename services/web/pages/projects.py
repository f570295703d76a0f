"""Pages: an organisation's purchase projects — the list, the project form (new and edit), the
evaluation (market depth, legal options, insertion hours, Climat et Résilience), the decision and
its history, the sourcing note PDF, the matching need, the award."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import projects_view as view
from services.web import tender_view
from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.manage_view import calls, if_match
from services.web.organisations_view import report_years
from services.web.pages.organisations import my_organisations
from services.web.places import territories
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
ProjectId = Path(ge=1, le=2**31)
TITLE = "Mes projets d'achat"
DONE = {
    "cree": "Le projet est enregistré et évalué : lisez les options puis enregistrez votre décision.",
    "modifie": "Le projet est modifié et réévalué.",
    "decision": "La décision est enregistrée.",
    "reevalue": "Le projet est réévalué avec les chiffres du jour.",
    "attribue": "Le projet est marqué comme attribué : sa décision ne peut plus changer.",
    "besoin": "Le besoin correspondant est déposé (brouillon) : complétez-le et publiez-le.",
}
STALE = (
    "Ce projet a été modifié entre-temps (autre onglet ou autre personne) : vos saisies sont "
    "conservées ci-dessous ; vérifiez-les puis enregistrez de nouveau pour les appliquer."
)


async def _vocabulary(visitor: Visitor) -> dict[str, Any]:
    vocabulary: dict[str, Any] = await visitor.state.api.get(
        "/projects/vocabulary", client_ip=visitor.client_ip
    )
    return vocabulary


async def _project(visitor: Visitor, project_id: int) -> dict[str, Any]:
    project: dict[str, Any] = await visitor.state.api.get(
        f"/projects/{project_id}", **calls(visitor)
    )
    return project


@router.get("/projets", response_model=None)
async def projects(
    visitor: SignedInDep,
    organisation: int | None = Query(default=None, ge=1, le=2**31),
    annee: str = Query(default="", max_length=4, pattern="^(|20[0-9]{2})$"),
    statut: str = Query(default="", pattern="^(|draft|decided|awarded)$"),
) -> Response:
    """The organisation's projects; the filters' « Toutes » and « Tous » send empty values."""
    year = int(annee) if annee else None
    organisations = await my_organisations(visitor)
    if not organisations:
        return redirect("/organisation")
    chosen = next((o for o in organisations if o["id"] == organisation), organisations[0])
    params = {k: v for k, v in {"year": year, "status": statut}.items() if v}
    listed = await visitor.state.api.get(
        f"/organisations/{chosen['id']}/projects", params=params or None, **calls(visitor)
    )
    return visitor.render(
        "projects/list.html",
        {
            "organisations": organisations,
            "organisation": chosen,
            "projects": listed["items"],
            "year": year,
            "years": sorted({*report_years(), *([year] if year else [])}, reverse=True),
            "status": statut,
            "statuses": view.STATUSES,
            "section": "projets",
            "breadcrumb": [(TITLE, "")],
        },
    )


async def _form_page(
    visitor: Visitor,
    organisation: dict[str, Any],
    typed: view.ProjectForm,
    project: dict[str, Any] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    api = visitor.state.api
    catalogue = await sector_catalogue(api, visitor.client_ip)
    departements, regions = tender_view.place_options(
        await territories(api, visitor.client_ip), typed.values
    )
    vocabulary = await _vocabulary(visitor)
    title = "Modifier le projet" if project else "Nouveau projet d'achat"
    trail = [(TITLE, f"/projets?organisation={organisation['id']}")]
    if project:
        trail.append((project["title"], f"/projets/{project['id']}"))
    return visitor.render(
        "projects/form.html",
        {
            "title": title,
            "organisation": organisation,
            "project": project,
            "form": typed,
            "values": typed.values,
            "errors": typed.errors,
            "contract_kinds": [(k["code"], k["label"]) for k in vocabulary["contract_kinds"]],
            "procedures": [(p["code"], p["label"]) for p in vocabulary["procedures"]],
            "catalogue": catalogue,
            "sector_names": catalogue.names,
            "departements": departements,
            "regions": regions,
            "notice": notice,
            "section": "projets",
            "breadcrumb": [*trail, (title, "")],
        },
        status_code=status_code,
    )


async def _organisation(visitor: Visitor, organisation_id: int | None) -> dict[str, Any] | None:
    organisations = await my_organisations(visitor)
    if organisation_id is None:
        return organisations[0] if organisations else None
    return next((o for o in organisations if o["id"] == organisation_id), None)


@router.get("/projets/nouveau", response_model=None)
async def new_project(
    visitor: SignedInDep, organisation: int | None = Query(default=None, ge=1, le=2**31)
) -> Response:
    chosen = await _organisation(visitor, organisation)
    if chosen is None:
        return redirect("/organisation")
    defaults = (await _vocabulary(visitor)).get("hours_defaults")
    return await _form_page(visitor, chosen, view.ProjectForm(view.empty_values(defaults)))


def _action(form: Any) -> str:
    action = form.get("action")
    return action if isinstance(action, str) else ""


def _organisation_id(form: Any) -> int | None:
    text = form.get("organisation")
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 11 else None


async def _read(visitor: Visitor, form: Any) -> tuple[view.ProjectForm, bool]:
    """The form read and resolved, and whether it is to be sent: not when the visitor asked
    only for CPV suggestions or another lot row (the form then comes back as typed)."""
    typed = view.read_form(form)
    action = _action(form)
    if action == "chercher-cpv" and not typed.values["cpv_q"]:
        # Enter pressed in another field sends the form's first button: nothing to look up.
        action = ""
    if action == "ajouter-lot" and typed.lot_rows < view.MAX_LOTS:
        row = typed.lot_rows + 1
        typed.values |= {"lot_rows": row, f"lot_{row}_title": "", f"lot_{row}_amount": ""}
    await view.resolve(visitor.state.api, typed, visitor.user, visitor.client_ip)
    if action in ("ajouter-lot", "chercher-cpv"):
        typed.errors = {}
        return typed, False
    return typed, True


@router.post("/projets/nouveau", response_model=None)
async def create_project(visitor: SignedInDep, form: CheckedForm) -> Response:
    chosen = await _organisation(visitor, _organisation_id(form))
    if chosen is None:
        return redirect("/organisation")
    typed, send = await _read(visitor, form)
    if not send:
        return await _form_page(visitor, chosen, typed)
    if typed.errors:
        return await _form_page(visitor, chosen, typed, status_code=422)
    try:
        created = await visitor.state.api.post(
            f"/organisations/{chosen['id']}/projects", typed.body, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        view.place_api_errors(problem, typed)
        return await _form_page(visitor, chosen, typed, status_code=422)
    return redirect(f"/projets/{created['id']}?fait=cree")


@router.get("/projets/{project_id}/modifier", response_class=HTMLResponse)
async def edit_project(visitor: SignedInDep, project_id: int = ProjectId) -> HTMLResponse:
    project = await _project(visitor, project_id)
    typed = view.ProjectForm(view.values_of(project))
    typed.values["version"] = project["version"]
    return await _form_page(visitor, project["organisation"], typed, project)


@router.post("/projets/{project_id}/modifier", response_model=None)
async def save_project(
    visitor: SignedInDep, form: CheckedForm, project_id: int = ProjectId
) -> Response:
    project = await _project(visitor, project_id)
    organisation = project["organisation"]
    typed, send = await _read(visitor, form)
    version = form.get("version")
    typed.values["version"] = version if isinstance(version, str) else ""
    if not send:
        return await _form_page(visitor, organisation, typed, project)
    if typed.errors:
        return await _form_page(visitor, organisation, typed, project, status_code=422)
    try:
        await visitor.state.api.send(
            "PATCH",
            f"/projects/{project_id}",
            json=typed.body,
            headers=if_match(typed.values["version"]),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status in (412, 428):
            # Saving again applies what was typed over the version now current.
            typed.values["version"] = project["version"]
            return await _form_page(visitor, organisation, typed, project, STALE, 409)
        if problem.status != 422:
            raise
        view.place_api_errors(problem, typed)
        return await _form_page(visitor, organisation, typed, project, status_code=422)
    return redirect(f"/projets/{project_id}?fait=modifie")


async def _project_page(
    visitor: Visitor,
    project_id: int,
    decision: view.DecisionForm | None = None,
    award_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    project = await _project(visitor, project_id)
    vocabulary = await _vocabulary(visitor)
    decision = decision or view.decision_of(project)
    done = visitor.request.query_params.get("fait", "")
    return visitor.render(
        "projects/project.html",
        {
            "project": project,
            "evaluation": view.evaluation_view(project),
            "vocabulary": vocabulary,
            "option_rows": view.option_rows(project, vocabulary),
            "none_option": next(
                (o for o in vocabulary.get("option_codes", []) if o["code"] == view.NONE),
                {"code": view.NONE, "label": "Aucune considération sociale"},
            ),
            "decision_form": decision,
            "errors": decision.errors,
            "award_error": award_error,
            "statuses": view.STATUSES,
            "notice": DONE.get(done),
            "labels": view.FIELD_LABELS,
            "section": "projets",
            "breadcrumb": [
                (TITLE, f"/projets?organisation={project['organisation']['id']}"),
                (project["title"], ""),
            ],
        },
        status_code=status_code,
    )


@router.get("/projets/{project_id}", response_class=HTMLResponse)
async def show_project(visitor: SignedInDep, project_id: int = ProjectId) -> HTMLResponse:
    return await _project_page(visitor, project_id)


@router.post("/projets/{project_id}/decision", response_model=None)
async def decide(visitor: SignedInDep, form: CheckedForm, project_id: int = ProjectId) -> Response:
    typed = view.read_decision(form)
    if typed.errors:
        return await _project_page(visitor, project_id, typed, status_code=422)
    try:
        await visitor.state.api.post(
            f"/projects/{project_id}/decisions", typed.body(), **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        view.place_decision_errors(problem, typed)
        return await _project_page(visitor, project_id, typed, status_code=problem.status)
    return redirect(f"/projets/{project_id}?fait=decision#decision")


@router.post("/projets/{project_id}/reevaluer", response_model=None)
async def reevaluate(
    visitor: SignedInDep, _form: CheckedForm, project_id: int = ProjectId
) -> Response:
    await visitor.state.api.post(f"/projects/{project_id}/evaluate", **calls(visitor))
    return redirect(f"/projets/{project_id}?fait=reevalue")


@router.post("/projets/{project_id}/attribution", response_model=None)
async def award(visitor: SignedInDep, form: CheckedForm, project_id: int = ProjectId) -> Response:
    day = form.get("awarded_on")
    body = {"awarded_on": day.strip() if isinstance(day, str) and day.strip() else None}
    try:
        await visitor.state.api.post(f"/projects/{project_id}/award", body, **calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        detail = next(iter(problem.by_field().values()), "") or problem.detail or problem.title
        return await _project_page(
            visitor, project_id, award_error=detail, status_code=problem.status
        )
    return redirect(f"/projets/{project_id}?fait=attribue")


@router.post("/projets/{project_id}/besoin", response_model=None)
async def deposit_need(
    visitor: SignedInDep, _form: CheckedForm, project_id: int = ProjectId
) -> Response:
    try:
        await visitor.state.api.post(
            f"/projects/{project_id}/need", {"publish": False}, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        # Deposited already (another tab): the page links to it.
    return redirect(f"/projets/{project_id}?fait=besoin#besoin")


@router.get("/projets/{project_id}/note.pdf", response_model=None)
async def sourcing_note(visitor: SignedInDep, project_id: int = ProjectId) -> Response:
    """The API's PDF, streamed through."""
    api = visitor.state.api
    # A fresh token first (and a 403/404 page when not allowed): a stream cannot be retried.
    await _project(visitor, project_id)
    context = api.stream(
        f"/projects/{project_id}/note.pdf", user=visitor.user, client_ip=visitor.client_ip
    )
    response = await context.__aenter__()
    if response.status_code != 200:
        await response.aread()
        await context.__aexit__(None, None, None)
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        raise ApiProblem.of(response)

    filename = f"note-de-sourcing-{project_id}.pdf"
    return relayed(
        context,
        response,
        "application/pdf",
        {"Content-Disposition": f'attachment; filename="{filename}"'},
    )
