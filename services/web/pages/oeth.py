"""Pages: an organisation's disability-employment (OETH) deduction for a year — the declaration
(headcount, rate or beneficiaries, gross contribution or its estimate, labour share), the
deduction and its cap, the contracts with EA/ESAT/TIH and where each figure comes from, the
suppliers marked TIH, the attestations received and their PDF."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import oeth_view as view
from services.web.api import ApiProblem, download
from services.web.manage_view import calls, if_match
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
OrganisationId = Path(ge=1, le=2**31)
AttestationId = Path(ge=1, le=2**31)
Year = Path(ge=2000, le=2100)
TITLE = "Déduction OETH"
DONE = {
    "declaration": "La déclaration est enregistrée : la déduction ci-dessous est recalculée.",
    "tih": "Le fournisseur est compté comme travailleur indépendant handicapé (TIH).",
    "tih-retire": "Le fournisseur n'est plus compté comme TIH.",
}
STALE = (
    "La déclaration a été modifiée entre-temps (autre onglet ou autre personne) : vos saisies "
    "sont conservées ci-dessous ; vérifiez-les puis enregistrez de nouveau pour les appliquer."
)
TIH_RESULTS = 10


def _href(organisation_id: int, year: int) -> str:
    return f"/organisation/{organisation_id}/oeth/{year}"


async def _candidates(visitor: Visitor, organisation_id: int, year: int, q: str) -> Any:
    """Suppliers of the year's spend that matched no inclusive structure, which the buyer may
    mark TIH; None when the year has no spend imported."""
    try:
        return await visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/suppliers",
            params={"year": year, "match": "none", "q": q, "per_page": TIH_RESULTS},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return None


async def _oeth_page(
    visitor: Visitor,
    organisation_id: int,
    year: int,
    typed: view.DeclarationForm | None = None,
    stale: bool = False,
    tih_error: str | None = None,
    status_code: int = 200,
    q: str = "",
) -> HTMLResponse:
    api = visitor.state.api
    q = q.strip()
    organisation, result, received = await asyncio.gather(
        api.get(f"/organisations/{organisation_id}", **calls(visitor)),
        api.get(f"/organisations/{organisation_id}/oeth/{year}", **calls(visitor)),
        api.get(
            f"/organisations/{organisation_id}/attestations",
            params={"year": year},
            **calls(visitor),
        ),
    )
    candidates = await _candidates(visitor, organisation_id, year, q)
    marked = {c["supplier_key"] for c in result.get("contracts", []) if view.is_tih(c)}
    values = typed.values if typed else view.declaration_values(result.get("declaration"))
    if stale and result.get("declaration"):
        values["version"] = str(result["declaration"].get("version") or "")
    done = visitor.request.query_params.get("fait", "")
    return visitor.render(
        "oeth/oeth.html",
        {
            "organisation": organisation,
            "year": year,
            "years": sorted({*view.years(), year}, reverse=True),
            "result": result,
            "contribution": result.get("contribution") or {},
            "estimate_lines": view.estimate_lines(
                (result.get("contribution") or {}).get("estimate")
            ),
            "cap_reason": view.cap_reason(result),
            "attestations": view.attestations_of(received),
            "candidates": [
                s for s in (candidates or {}).get("items", []) if s.get("key") not in marked
            ],
            "has_spend": candidates is not None,
            "q": q,
            "values": values,
            "errors": typed.errors if typed else {},
            "labels": view.FIELD_LABELS,
            "stale": STALE if stale else None,
            "tih_error": tih_error,
            "notice": DONE.get(done),
            "euros": view.euros,
            "percent_of_share": view.percent_of_share,
            "kind_name": view.kind_name,
            "is_tih": view.is_tih,
            "sources": view.SOURCES,
            "contribution_sources": view.CONTRIBUTION_SOURCES,
            "href": _href(organisation_id, year),
            "section": "projets",
            "breadcrumb": [
                ("Mon organisation", "/organisation"),
                (organisation["name"], f"/organisation/{organisation_id}"),
                (f"{TITLE} {year}", ""),
            ],
        },
        status_code=status_code,
    )


@router.get("/organisation/{organisation_id}/oeth", response_model=None)
async def oeth_latest(visitor: SignedInDep, organisation_id: int = OrganisationId) -> Response:
    """The year declared now: last year's purchases."""
    return redirect(_href(organisation_id, view.default_year()))


@router.get("/organisation/{organisation_id}/oeth/{year}", response_class=HTMLResponse)
async def oeth(
    visitor: SignedInDep,
    organisation_id: int = OrganisationId,
    year: int = Year,
    fournisseur: str = Query(default="", max_length=100),
) -> HTMLResponse:
    return await _oeth_page(visitor, organisation_id, year, q=fournisseur)


@router.post("/organisation/{organisation_id}/oeth/{year}", response_model=None)
async def declare(
    visitor: SignedInDep, form: CheckedForm, organisation_id: int = OrganisationId, year: int = Year
) -> Response:
    typed = view.read_declaration(form)
    if typed.errors:
        return await _oeth_page(visitor, organisation_id, year, typed, status_code=422)
    try:
        await visitor.state.api.send(
            "PUT",
            f"/organisations/{organisation_id}/oeth/{year}",
            json=typed.body,
            headers=if_match(typed.values.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status in (409, 412):
            return await _oeth_page(visitor, organisation_id, year, typed, True, status_code=409)
        if problem.status != 422:
            raise
        view.place_api_errors(problem, typed)
        return await _oeth_page(visitor, organisation_id, year, typed, status_code=422)
    return redirect(f"{_href(organisation_id, year)}?fait=declaration#resultat")


@router.post("/organisation/{organisation_id}/oeth/{year}/tih", response_model=None)
async def mark_tih(
    visitor: SignedInDep, form: CheckedForm, organisation_id: int = OrganisationId, year: int = Year
) -> Response:
    key = form.get("supplier_key")
    tih = form.get("tih") == "oui"
    if not isinstance(key, str) or not key.strip():
        return await _oeth_page(
            visitor, organisation_id, year, tih_error="Choisissez un fournisseur.", status_code=422
        )
    try:
        await visitor.state.api.post(
            f"/organisations/{organisation_id}/oeth/{year}/tih",
            {"supplier_key": key.strip()[:80], "tih": tih},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        message = next(iter(problem.by_field().values()), "") or problem.detail or problem.title
        return await _oeth_page(
            visitor, organisation_id, year, tih_error=message, status_code=problem.status
        )
    done = "tih" if tih else "tih-retire"
    return redirect(f"{_href(organisation_id, year)}?fait={done}#contrats")


@router.get(
    "/organisation/{organisation_id}/attestations/{attestation_id}/attestation.pdf",
    response_model=None,
)
async def received_attestation_pdf(
    visitor: SignedInDep, organisation_id: int = OrganisationId, attestation_id: int = AttestationId
) -> Response:
    """An attestation a supplier issued to the organisation, the API's PDF streamed through."""
    return await pdf(
        visitor,
        f"/organisations/{organisation_id}/attestations/{attestation_id}/attestation.pdf",
        f"attestation-oeth-{attestation_id}.pdf",
        f"/organisations/{organisation_id}",
    )


async def pdf(visitor: Visitor, path: str, filename: str, check: str) -> Response:
    """A PDF of the API passed on; `check` is read first for a fresh token and a refusal page
    (a stream cannot be retried)."""
    api = visitor.state.api
    await api.get(check, **calls(visitor))
    return await download(
        api,
        path,
        filename,
        user=visitor.user,
        client_ip=visitor.client_ip,
        media_type="application/pdf",
    )
