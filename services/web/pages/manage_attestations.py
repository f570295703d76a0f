"""Pages: a managed EA, EATT or ESAT's yearly OETH attestations — its clients found in buyers'
imported spend (each with « établir l'attestation » prefilled), the attestations issued with
their status and version, the form of a new one, one attestation with its reissue and its PDF."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import attestations_view as view
from services.web.api import ApiProblem
from services.web.manage_view import Managed, calls, if_match, managed_structure
from services.web.oeth_view import default_year, euros, years
from services.web.pages.oeth import pdf
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
StructureId = Path(ge=1, le=2**31)
AttestationId = Path(ge=1, le=2**31)
YearQuery = Query(default=None, ge=2000, le=2100)
ClientQuery = Query(default=None, ge=1, le=2**31)
TITLE = "Attestations OETH"
DONE = {
    "emise": "L'attestation est émise : votre client la voit dans son suivi OETH.",
    "reemise": "L'attestation est réémise : la nouvelle version remplace la précédente.",
}
ADD_ROWS = "ajouter-lignes"
STALE = (
    "Cette attestation a été réémise entre-temps : vos saisies sont conservées ci-dessous ; "
    "vérifiez-les puis réémettez de nouveau."
)


def _context(managed: Managed, *trail: tuple[str, str]) -> dict[str, Any]:
    return {
        "managed": managed,
        "current": "attestations",
        "section": "structure",
        "breadcrumb": [
            ("Espace structure", "/espace-structure"),
            (managed.name, managed.href()),
            *trail,
        ],
        "attests": view.attests(managed.structure),
        "euros": euros,
        "statuses": view.STATUSES,
        "label": view.label,
    }


@router.get("/espace-structure/{structure_id}/attestations", response_class=HTMLResponse)
async def attestations(
    visitor: SignedInDep, structure_id: int = StructureId, annee: int | None = YearQuery
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    year = annee or default_year()
    clients: list[dict[str, Any]] = []
    issued: list[dict[str, Any]] = []
    if view.attests(managed.structure):
        params = {"year": year}
        clients = view.listed(
            await visitor.state.api.get(
                f"/structures/{structure_id}/clients", params=params, **calls(visitor)
            )
        )
        issued = view.listed(
            await visitor.state.api.get(
                f"/structures/{structure_id}/attestations", params=params, **calls(visitor)
            )
        )
    return visitor.render(
        "attestations/index.html",
        {
            **_context(managed, (TITLE, "")),
            "year": year,
            "years": sorted({*years(), year}, reverse=True),
            "clients": clients,
            "issued": issued,
            "notice": DONE.get(visitor.request.query_params.get("fait", "")),
        },
    )


async def _form_page(
    visitor: Visitor,
    managed: Managed,
    typed: view.AttestationForm,
    attestation: dict[str, Any] | None = None,
    stale: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    list_href = managed.href(f"/attestations?annee={typed.values.get('year') or ''}")
    if attestation is None:
        trail = [(TITLE, list_href), ("Nouvelle attestation", "")]
        template = "attestations/new.html"
    else:
        trail = [(TITLE, list_href), (f"Attestation {attestation['number']}", "")]
        template = "attestations/attestation.html"
    return visitor.render(
        template,
        {
            **_context(managed, *trail),
            "form": typed,
            "values": typed.values,
            "errors": typed.errors,
            "attestation": attestation,
            "stale": STALE if stale else None,
            "years": years(),
            "add_rows": ADD_ROWS,
            "notice": DONE.get(visitor.request.query_params.get("fait", "")),
        },
        status_code=status_code,
    )


@router.get("/espace-structure/{structure_id}/attestations/nouvelle", response_class=HTMLResponse)
async def new_attestation(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    annee: int | None = YearQuery,
    client: int | None = ClientQuery,
) -> HTMLResponse:
    """The form, prefilled from a client of the clients' list when one is named."""
    managed = await managed_structure(visitor, structure_id)
    year = annee or default_year()
    values = view.empty_values(year)
    if client is not None and view.attests(managed.structure):
        clients = view.listed(
            await visitor.state.api.get(
                f"/structures/{structure_id}/clients", params={"year": year}, **calls(visitor)
            )
        )
        found = next((c for c in clients if c.get("organisation_id") == client), None)
        if found is not None:
            values = view.client_values(found, year)
    return await _form_page(visitor, managed, view.AttestationForm(values))


def _adding_rows(form: Any) -> bool:
    return bool(form.get("action") == ADD_ROWS)


@router.post("/espace-structure/{structure_id}/attestations/nouvelle", response_model=None)
async def issue_attestation(
    visitor: SignedInDep, form: CheckedForm, structure_id: int = StructureId
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    typed = view.read_form(form, add_rows=_adding_rows(form))
    if _adding_rows(form):
        return await _form_page(visitor, managed, typed)
    view.build_body(typed)
    if typed.errors:
        return await _form_page(visitor, managed, typed, status_code=422)
    try:
        issued = await visitor.state.api.post(
            f"/structures/{structure_id}/attestations", typed.body, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        view.place_api_errors(problem, typed)
        return await _form_page(visitor, managed, typed, status_code=problem.status)
    return redirect(managed.href(f"/attestations/{issued['id']}?fait=emise"))


async def _attestation(visitor: Visitor, structure_id: int, attestation_id: int) -> Any:
    return await visitor.state.api.get(
        f"/structures/{structure_id}/attestations/{attestation_id}", **calls(visitor)
    )


@router.get(
    "/espace-structure/{structure_id}/attestations/{attestation_id}",
    response_class=HTMLResponse,
)
async def show_attestation(
    visitor: SignedInDep, structure_id: int = StructureId, attestation_id: int = AttestationId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    attestation = await _attestation(visitor, structure_id, attestation_id)
    typed = view.AttestationForm(view.attestation_values(attestation))
    return await _form_page(visitor, managed, typed, attestation)


@router.post("/espace-structure/{structure_id}/attestations/{attestation_id}", response_model=None)
async def reissue_attestation(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    attestation_id: int = AttestationId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    attestation = await _attestation(visitor, structure_id, attestation_id)
    typed = view.read_form(form, add_rows=_adding_rows(form))
    if _adding_rows(form):
        return await _form_page(visitor, managed, typed, attestation)
    view.build_body(typed)
    if typed.errors:
        return await _form_page(visitor, managed, typed, attestation, status_code=422)
    try:
        # A reissue keeps its year: the API takes the client and the contracts only.
        reissued = await visitor.state.api.send(
            "PUT",
            f"/structures/{structure_id}/attestations/{attestation_id}",
            json={k: v for k, v in typed.body.items() if k != "year"},
            headers=if_match(typed.values.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status in (409, 412):
            typed.values["version"] = str(attestation.get("version") or "")
            return await _form_page(visitor, managed, typed, attestation, True, 409)
        if problem.status != 422:
            raise
        view.place_api_errors(problem, typed)
        return await _form_page(visitor, managed, typed, attestation, status_code=422)
    new_id = reissued.json().get("id", attestation_id) if reissued.content else attestation_id
    return redirect(managed.href(f"/attestations/{new_id}?fait=reemise"))


@router.get(
    "/espace-structure/{structure_id}/attestations/{attestation_id}/attestation.pdf",
    response_model=None,
)
async def attestation_pdf(
    visitor: SignedInDep, structure_id: int = StructureId, attestation_id: int = AttestationId
) -> Response:
    await managed_structure(visitor, structure_id)
    return await pdf(
        visitor,
        f"/structures/{structure_id}/attestations/{attestation_id}/attestation.pdf",
        f"attestation-oeth-{attestation_id}.pdf",
        f"/structures/{structure_id}/attestations/{attestation_id}",
    )
