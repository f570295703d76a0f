"""Pages: a buyer's organisation — its creation (SIRET or SIREN, kind of buyer), its members and
settings, and the yearly report of its purchase projects with every « aucune considération
sociale » and its justification."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import organisations_view as view
from services.web.api import ApiProblem, ApiUnavailable
from services.web.manage_view import calls, is_staff
from services.web.ranking_view import ordinal, percent
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
OrganisationId = Path(ge=1, le=2**31)
MemberId = Path(ge=1, le=2**31)
TITLE = "Mon organisation"
# What a finished action says on the organisation's page it comes back to.
DONE = {
    "creee": "L'organisation a été créée : vous en êtes administrateur.",
    "reglages": "Les réglages ont été enregistrés.",
    "membre": "Le membre a été ajouté ; il en est prévenu par e-mail.",
    "retire": "Le membre a été retiré de l'organisation.",
}
CREATION_FIELDS = ("name", "identifier", "buyer_kind", "hours_threshold")
SETTINGS_FIELDS = ("name", "buyer_kind", "hours_threshold")
MEMBER_FIELDS = ("email", "role")


async def my_organisations(visitor: Visitor) -> list[dict[str, Any]]:
    answer = await visitor.state.api.get("/organisations", **calls(visitor))
    items: list[dict[str, Any]] = answer["items"]
    return items


async def _kinds_context(visitor: Visitor) -> dict[str, Any]:
    vocabulary = await visitor.state.api.get("/projects/vocabulary", client_ip=visitor.client_ip)
    return {
        "buyer_kinds": view.buyer_kinds(vocabulary),
        "works_hint": view.works_hint(vocabulary),
        "labels": view.FIELD_LABELS,
    }


async def _list_page(
    visitor: Visitor,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisations = await my_organisations(visitor)
    return visitor.render(
        "organisations/list.html",
        {
            "organisations": organisations,
            "values": {"buyer_kind": "collectivite", **(values or {})},
            "errors": errors or {},
            "section": "projets",
            "breadcrumb": [(TITLE, "")],
            **(await _kinds_context(visitor)),
        },
        status_code=status_code,
    )


@router.get("/organisation", response_class=HTMLResponse)
async def organisations(visitor: SignedInDep) -> HTMLResponse:
    return await _list_page(visitor)


@router.post("/organisation", response_model=None)
async def create_organisation(visitor: SignedInDep, form: CheckedForm) -> Response:
    typed = view.read_creation(form)
    if typed.errors:
        return await _list_page(visitor, typed.values, typed.errors, 422)
    try:
        created = await visitor.state.api.post("/organisations", typed.body, **calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = view.field_errors(problem, CREATION_FIELDS)
        if problem.status == 409:
            errors = {"identifier": problem.detail or problem.title}
        return await _list_page(visitor, typed.values, errors, problem.status)
    return redirect(f"/organisation/{created['id']}?fait=creee")


async def _public_data(visitor: Visitor, organisation: dict[str, Any]) -> view.PublicData:
    """The organisation's buyer in the public procurement data, by its SIRET, else by an
    establishment of its SIREN; the page goes on without it when the data cannot be read."""
    api = visitor.state.api
    siren = str(organisation.get("siren") or "")
    own = organisation.get("siret")
    try:
        if own:
            try:
                buyer = await api.get(f"/public-buyers/{own}", client_ip=visitor.client_ip)
                return view.PublicData(buyer)
            except ApiProblem as problem:
                if problem.status != 404:
                    raise
        hits = await api.get("/public-buyers", params={"q": siren}, client_ip=visitor.client_ip)
        siret = view.matching_siret(organisation, hits.get("items", []))
        if siret is None:
            return view.PublicData(None)
        buyer = await api.get(f"/public-buyers/{siret}", client_ip=visitor.client_ip)
    except ApiProblem as problem:
        return view.PublicData(None, readable=problem.status == 404)
    except ApiUnavailable:
        return view.PublicData(None, readable=False)
    return view.PublicData(buyer, same_siret=siret == organisation.get("siret"))


async def _organisation_page(
    visitor: Visitor,
    organisation_id: int,
    year: int | None = None,
    settings: view.OrganisationForm | None = None,
    member: view.OrganisationForm | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    years = view.report_years()
    year = year if year is not None else years[0]
    organisation, report = await asyncio.gather(
        visitor.state.api.get(f"/organisations/{organisation_id}", **calls(visitor)),
        visitor.state.api.get(
            f"/organisations/{organisation_id}/report", params={"year": year}, **calls(visitor)
        ),
    )
    done = visitor.request.query_params.get("fait", "")
    public = await _public_data(visitor, organisation)
    return visitor.render(
        "organisations/organisation.html",
        {
            "organisation": organisation,
            "public": public,
            "percent": percent,
            "ordinal": ordinal,
            "admin": view.is_admin(organisation, is_staff(visitor)),
            "report": report,
            "year": year,
            "years": sorted({*years, year}, reverse=True),
            "report_counts": view.REPORT_COUNTS,
            "statuses": view.PROJECT_STATUSES,
            "settings_values": settings.values if settings else view.settings_values(organisation),
            "settings_errors": settings.errors if settings else {},
            "member_values": member.values if member else {"role": "member"},
            "member_errors": member.errors if member else {},
            "roles": view.ROLES,
            "role_names": view.ROLE_NAMES,
            "admins": sum(1 for m in organisation["members"] if m["role"] == "admin"),
            "notice": DONE.get(done),
            "problem": problem,
            "section": "projets",
            "breadcrumb": [(TITLE, "/organisation"), (organisation["name"], "")],
            **(await _kinds_context(visitor)),
        },
        status_code=status_code,
    )


@router.get("/organisation/{organisation_id}", response_class=HTMLResponse)
async def show_organisation(
    visitor: SignedInDep,
    organisation_id: int = OrganisationId,
    annee: int | None = Query(default=None, ge=2000, le=2100),
) -> HTMLResponse:
    return await _organisation_page(visitor, organisation_id, annee)


@router.post("/organisation/{organisation_id}/reglages", response_model=None)
async def save_settings(
    visitor: SignedInDep, form: CheckedForm, organisation_id: int = OrganisationId
) -> Response:
    typed = view.read_settings(form)
    if not typed.errors:
        try:
            await visitor.state.api.send(
                "PATCH", f"/organisations/{organisation_id}", json=typed.body, **calls(visitor)
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            typed.errors = view.field_errors(problem, SETTINGS_FIELDS)
    if typed.errors:
        return await _organisation_page(visitor, organisation_id, settings=typed, status_code=422)
    return redirect(f"/organisation/{organisation_id}?fait=reglages#reglages")


@router.post("/organisation/{organisation_id}/membres", response_model=None)
async def add_member(
    visitor: SignedInDep, form: CheckedForm, organisation_id: int = OrganisationId
) -> Response:
    typed = view.read_member(form)
    if not typed.errors:
        try:
            await visitor.state.api.post(
                f"/organisations/{organisation_id}/members", typed.body, **calls(visitor)
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            typed.errors = view.field_errors(problem, MEMBER_FIELDS)
            if problem.status == 409:
                typed.errors = {"email": problem.detail or problem.title}
    if typed.errors:
        return await _organisation_page(visitor, organisation_id, member=typed, status_code=422)
    return redirect(f"/organisation/{organisation_id}?fait=membre#membres")


@router.post("/organisation/{organisation_id}/membres/{member_id}/retirer", response_model=None)
async def remove_member(
    visitor: SignedInDep,
    _form: CheckedForm,
    organisation_id: int = OrganisationId,
    member_id: int = MemberId,
) -> Response:
    try:
        await visitor.state.api.send(
            "DELETE", f"/organisations/{organisation_id}/members/{member_id}", **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        return await _organisation_page(
            visitor, organisation_id, problem=problem.detail or problem.title, status_code=409
        )
    return redirect(f"/organisation/{organisation_id}?fait=retire#membres")
