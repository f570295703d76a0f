"""Pages: an organisation's responsible purchasing — the upload of a year's spend file, the
mapping of its columns, the import's outcome, the dashboard (shares by family, kind, territory,
category and buying entity, year over year, the gaps), the matching of suppliers, the categories'
sectors, the sites, and the exports relayed from the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.web import spend_view as view
from services.web.api import ApiProblem, ApiUnavailable, LoginRequired, download
from services.web.manage_view import calls, my_account
from services.web.pages.organisations import my_organisations
from services.web.places import territories
from services.web.ranking_view import percent
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, checked_form, redirect

router = APIRouter()
OrganisationId = Path(ge=1, le=2**31)
FileId = Path(ge=1, le=2**31)
UploadId = Path(ge=1, le=2**31)
Year = Path(ge=2000, le=2100)
SECTION = "achats"
TITLE = "Mes achats responsables"
# The import page asks again every two seconds while the import runs (htmx).
POLL = "every 2s"
# An import may take the API up to 20 s before it answers « still running ».
IMPORT_TIMEOUT_S = 60.0
UPLOAD_TIMEOUT_S = 300.0
CHUNK = 1024 * 1024
DONE = {
    "confirme": "Le rapprochement est confirmé : ce fournisseur compte désormais comme inclusif.",
    "rejete": "Le rapprochement est écarté : ce fournisseur ne compte pas comme inclusif.",
    "categories": "Les secteurs des catégories sont enregistrés.",
    "sites": "Les départements de vos sites sont enregistrés.",
}
# The API's downloads of a year (its last segment), each with the name the browser saves.
EXPORTS: dict[str, Callable[[int], str]] = {
    "export.csv": lambda year: f"achats-{year}.csv",
    "export.xlsx": lambda year: f"achats-{year}.xlsx",
    "summary.pdf": lambda year: f"achats-responsables-{year}.pdf",
}


def _base(organisation_id: int) -> str:
    return f"/organisation/{organisation_id}/achats"


async def _organisation(visitor: Visitor, organisation_id: int) -> dict[str, Any]:
    """The organisation, read first: a stranger gets the API's 403/404 page before anything of
    its spend is asked, and the access token is fresh for what follows."""
    found: dict[str, Any] = await visitor.state.api.get(
        f"/organisations/{organisation_id}", **calls(visitor)
    )
    return found


def _crumbs(organisation: dict[str, Any], *trail: tuple[str, str]) -> list[tuple[str, str]]:
    base = _base(int(organisation["id"]))
    return [(TITLE, "/achats"), (str(organisation["name"]), base if trail else ""), *trail]


async def _raw(
    visitor: Visitor,
    method: str,
    path: str,
    *,
    wait_s: float,
    params: dict[str, Any] | None = None,
    json: Any = None,
    content: AsyncIterator[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A call the client's usual timeout does not fit (the upload, the import): sent once
    with the token the organisation's read just renewed; 4xx become `ApiProblem`."""
    user = visitor.user
    if user is None:
        raise LoginRequired
    sent = {"Authorization": f"Bearer {user.access_token}", **(headers or {})}
    if visitor.client_ip:
        sent["X-Forwarded-For"] = visitor.client_ip
    try:
        response = await visitor.state.api.client.request(
            method, path, params=params, json=json, content=content, headers=sent, timeout=wait_s
        )
    except httpx.HTTPError as exc:
        raise ApiUnavailable(type(exc).__name__) from exc
    if response.status_code == 401:
        raise LoginRequired
    if response.status_code >= 500:
        raise ApiUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise ApiProblem.of(response)
    return response


async def _relay(visitor: Visitor, path: str, params: dict[str, Any], filename: str) -> Response:
    """A download of the API (the organisation read first, for a fresh token)."""
    return await download(
        visitor.state.api,
        path,
        filename,
        params=params,
        user=visitor.user,
        client_ip=visitor.client_ip,
    )


# My organisations, and one organisation's uploads.


@router.get("/achats", response_class=HTMLResponse)
async def my_spend(visitor: SignedInDep) -> HTMLResponse:
    organisations = await my_organisations(visitor)
    return visitor.render(
        "spend/index.html",
        {"organisations": organisations, "section": SECTION, "breadcrumb": [(TITLE, "")]},
    )


async def _history(visitor: Visitor, organisation_id: int) -> list[dict[str, Any]]:
    """Every upload of the organisation, newest first."""
    found = await visitor.state.api.get(
        f"/organisations/{organisation_id}/spend/uploads", **calls(visitor)
    )
    items: list[dict[str, Any]] = found["items"] if isinstance(found, dict) else list(found)
    return sorted(items, key=lambda u: (u.get("started_at") or "", u["id"]), reverse=True)


async def _my_id(visitor: Visitor) -> str | None:
    """The account's identifier, to say « Vous » in the history (none when it cannot be read)."""
    try:
        me = await my_account(visitor)
    except (ApiProblem, ApiUnavailable):
        return None
    return str((me.get("account") or {}).get("id") or "") or None


async def _uploads_page(
    visitor: Visitor,
    organisation_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation = await _organisation(visitor, organisation_id)
    history, mine = await asyncio.gather(_history(visitor, organisation_id), _my_id(visitor))
    years = sorted({int(u["year"]) for u in history if u.get("status") == "active"}, reverse=True)
    offered = view.years_offered()
    return visitor.render(
        "spend/uploads.html",
        {
            "organisation": organisation,
            "base": _base(organisation_id),
            "history": history,
            "active_years": years,
            "year_options": [(str(y), str(y)) for y in offered],
            "values": values or {"year": str(years[0] if years else offered[1])},
            "errors": errors or {},
            "statuses": view.STATUSES,
            "who": lambda upload: view.who(upload, mine),
            "when": view.when,
            "accepted": view.ACCEPTED,
            "cap": view.UPLOAD_CAP_TEXT,
            "euros": view.euros,
            "section": SECTION,
            "breadcrumb": _crumbs(organisation),
        },
        status_code=status_code,
    )


@router.get("/organisation/{organisation_id}/achats", response_class=HTMLResponse)
async def uploads(visitor: SignedInDep, organisation_id: int = OrganisationId) -> HTMLResponse:
    return await _uploads_page(visitor, organisation_id)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file as it was spooled, a megabyte at a time (never held whole)."""
    await upload.seek(0)
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.post("/organisation/{organisation_id}/achats/fichiers", response_model=None)
async def upload_file(
    request: Request, visitor: SignedInDep, organisation_id: int = OrganisationId
) -> Response:
    """The file from the browser's form, sent on to the API as the raw body."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > view.UPLOAD_CAP_BYTES + CHUNK:
        # Far too big: refused before a byte of it is read (the form's year goes with it).
        return await _uploads_page(
            visitor, organisation_id, errors={"fichier": view.too_large()}, status_code=413
        )
    form = await checked_form(request, visitor)
    upload = form.get("fichier")
    try:
        return await _send_upload(visitor, organisation_id, form.get("year"), upload)
    finally:
        # The spooled copy goes as soon as the API has the file (or refused it).
        if isinstance(upload, UploadFile):
            await upload.close()


async def _send_upload(
    visitor: Visitor, organisation_id: int, sent_year: object, upload: object
) -> Response:
    values = {"year": sent_year.strip()[:4] if isinstance(sent_year, str) else ""}
    errors: dict[str, str] = {}
    year, error = view.read_year(values["year"])
    if error:
        errors["year"] = error
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["fichier"] = "choisissez le fichier de vos achats (CSV ou XLSX)"
    elif (upload.size or 0) > view.UPLOAD_CAP_BYTES:
        errors["fichier"] = view.too_large()
    if errors or not isinstance(upload, UploadFile):
        return await _uploads_page(visitor, organisation_id, values, errors, 422)
    await _organisation(visitor, organisation_id)
    try:
        answer = await _raw(
            visitor,
            "POST",
            f"/organisations/{organisation_id}/spend/files",
            params={"name": (upload.filename or "achats")[-200:]},
            content=_chunks(upload),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(upload.size or 0),
            },
            wait_s=UPLOAD_TIMEOUT_S,
        )
    except ApiProblem as problem:
        if problem.status not in (400, 413, 415, 422):
            raise
        errors["fichier"] = view.file_problem(problem)
        return await _uploads_page(visitor, organisation_id, values, errors, problem.status)
    file_id = answer.json()["id"]
    return redirect(f"{_base(organisation_id)}/fichiers/{file_id}?annee={year}")


# The column mapping.


async def _mapping_page(
    visitor: Visitor,
    organisation_id: int,
    file_id: int,
    typed: view.MappingForm | None = None,
    year: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation, file = await asyncio.gather(
        _organisation(visitor, organisation_id),
        visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/files/{file_id}", **calls(visitor)
        ),
    )
    values = typed.values if typed else view.mapping_values(file, year)
    base = _base(organisation_id)
    return visitor.render(
        "spend/mapping.html",
        {
            "organisation": organisation,
            "file": file,
            "base": base,
            "values": values,
            "errors": typed.errors if typed else {},
            "fields": view.MAPPING_FIELDS,
            "identity": view.IDENTITY_FIELDS,
            "required": view.REQUIRED_FIELDS,
            "columns": [(c, c) for c in file.get("columns") or []],
            "year_options": [(str(y), str(y)) for y in view.years_offered()],
            "section": SECTION,
            "breadcrumb": _crumbs(organisation, ("Colonnes du fichier", "")),
        },
        status_code=status_code,
    )


@router.get(
    "/organisation/{organisation_id}/achats/fichiers/{file_id}", response_class=HTMLResponse
)
async def mapping(
    visitor: SignedInDep,
    organisation_id: int = OrganisationId,
    file_id: int = FileId,
    annee: int | None = Query(default=None, ge=2000, le=2100),
) -> HTMLResponse:
    return await _mapping_page(visitor, organisation_id, file_id, year=annee)


@router.post("/organisation/{organisation_id}/achats/fichiers/{file_id}", response_model=None)
async def start_import(
    visitor: SignedInDep,
    form: CheckedForm,
    organisation_id: int = OrganisationId,
    file_id: int = FileId,
) -> Response:
    await _organisation(visitor, organisation_id)
    file = await visitor.state.api.get(
        f"/organisations/{organisation_id}/spend/files/{file_id}", **calls(visitor)
    )
    typed = view.read_mapping(form, file.get("columns") or [])
    if not typed.errors:
        try:
            answer = await _raw(
                visitor,
                "POST",
                f"/organisations/{organisation_id}/spend/uploads",
                json={"file_id": file_id, "year": typed.year, "mapping": typed.mapping},
                wait_s=IMPORT_TIMEOUT_S,
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            typed.errors = view.problem_fields(problem, (*view.MAPPING_NAMES, "year"))
        except ApiUnavailable:
            # A long import can outlast a proxy's wait while it goes on: show it if it runs.
            running = await _running_import(visitor, organisation_id, file_id)
            if running is None:
                raise
            return redirect(f"{_base(organisation_id)}/imports/{running}")
        else:
            return redirect(f"{_base(organisation_id)}/imports/{answer.json()['id']}")
    return await _mapping_page(visitor, organisation_id, file_id, typed, status_code=422)


async def _running_import(visitor: Visitor, organisation_id: int, file_id: int) -> int | None:
    """The newest import of this file still running, if any."""
    try:
        history = await _history(visitor, organisation_id)
    except (ApiProblem, ApiUnavailable):
        return None
    return next(
        (
            int(u["id"])
            for u in history
            if u.get("status") == "running" and (u.get("file") or {}).get("id") == file_id
        ),
        None,
    )


# The import's progress and outcome.


@router.get(
    "/organisation/{organisation_id}/achats/imports/{upload_id}", response_class=HTMLResponse
)
async def import_page(
    visitor: SignedInDep, organisation_id: int = OrganisationId, upload_id: int = UploadId
) -> HTMLResponse:
    organisation, upload = await asyncio.gather(
        _organisation(visitor, organisation_id),
        visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/uploads/{upload_id}", **calls(visitor)
        ),
    )
    context = {
        "organisation": organisation,
        "upload": upload,
        "base": _base(organisation_id),
        "statuses": view.STATUSES,
        "methods": view.MATCH_METHODS,
        "columns": view.COLUMN_LABELS,
        "euros": view.euros,
        "poll": POLL,
        "section": SECTION,
        "breadcrumb": _crumbs(organisation, (f"Import des achats {upload['year']}", "")),
    }
    if visitor.is_htmx:
        return visitor.render("spend/_import.html", context)
    return visitor.render("spend/import.html", context)


@router.get(
    "/organisation/{organisation_id}/achats/imports/{upload_id}/rejets.csv", response_model=None
)
async def rejections_csv(
    visitor: SignedInDep, organisation_id: int = OrganisationId, upload_id: int = UploadId
) -> Response:
    await _organisation(visitor, organisation_id)
    return await _relay(
        visitor,
        f"/organisations/{organisation_id}/spend/uploads/{upload_id}/rejections.csv",
        {},
        f"lignes-refusees-{upload_id}.csv",
    )


# The sites (before the year's pages: « sites » is no year).


async def _sites_page(
    visitor: Visitor,
    organisation_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation, sites, places = await asyncio.gather(
        _organisation(visitor, organisation_id),
        visitor.state.api.get(f"/organisations/{organisation_id}/spend/sites", **calls(visitor)),
        territories(visitor.state.api, visitor.client_ip),
    )
    chosen = {str(d["code"]) for d in sites.get("departments") or []}
    return visitor.render(
        "spend/sites.html",
        {
            "organisation": organisation,
            "base": _base(organisation_id),
            "sites": sites.get("departments") or [],
            "others": [
                (code, places.department_label(code))
                for code in sorted(places.departments)
                if code not in chosen
            ],
            "errors": errors or {},
            "notice": DONE.get(visitor.request.query_params.get("fait", "")),
            "section": SECTION,
            "breadcrumb": _crumbs(organisation, ("Sites", "")),
        },
        status_code=status_code,
    )


@router.get("/organisation/{organisation_id}/achats/sites", response_class=HTMLResponse)
async def sites(visitor: SignedInDep, organisation_id: int = OrganisationId) -> HTMLResponse:
    return await _sites_page(visitor, organisation_id)


@router.post("/organisation/{organisation_id}/achats/sites", response_model=None)
async def save_sites(
    visitor: SignedInDep, form: CheckedForm, organisation_id: int = OrganisationId
) -> Response:
    await _organisation(visitor, organisation_id)
    places = await territories(visitor.state.api, visitor.client_ip)
    added = form.get("ajouter")
    kept = [v for v in form.getlist("departements") if isinstance(v, str)]
    if isinstance(added, str) and added:
        kept.append(added)
    codes, errors = view.read_sites(kept, places.departments)
    if not errors:
        try:
            await visitor.state.api.send(
                "PUT",
                f"/organisations/{organisation_id}/spend/sites",
                json={"departments": codes},
                **calls(visitor),
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            errors = {"ajouter": problem.detail or problem.title}
    if errors:
        return await _sites_page(visitor, organisation_id, errors, 422)
    return redirect(f"{_base(organisation_id)}/sites?fait=sites")


# The year's dashboard.


@router.get("/organisation/{organisation_id}/achats/{year:int}", response_class=HTMLResponse)
async def dashboard(
    visitor: SignedInDep,
    organisation_id: int = OrganisationId,
    year: int = Year,
    categorie: str = Query(default="", max_length=200),
    entite: str = Query(default="", max_length=200),
) -> HTMLResponse:
    organisation = await _organisation(visitor, organisation_id)
    drill = view.read_drill(categorie, entite)
    base = f"{_base(organisation_id)}/{year}"
    context: dict[str, Any] = {
        "organisation": organisation,
        "year": year,
        "base": base,
        "home": _base(organisation_id),
        "drill": drill,
        "tags": drill.tags(base),
        "section": SECTION,
        "breadcrumb": _crumbs(organisation, (f"Achats {year}", "")),
    }
    try:
        found = await visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/dashboard",
            params={"year": year, **drill.params},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return visitor.render("spend/no_year.html", context, status_code=404)
    name = str(organisation["name"])
    context |= {
        "found": found,
        "totals": found["totals"],
        "charts": {
            "family": view.breakdown(
                found.get("by_family") or [],
                chart_id="graphique-familles",
                title=f"Part des achats {year} par famille de structure inclusive",
                labels=view.FAMILIES,
            ),
            "kind": view.breakdown(
                found.get("by_kind") or [],
                chart_id="graphique-types",
                title=f"Part des achats {year} par type de structure inclusive",
                labels=view.KINDS,
            ),
            "region": view.breakdown(
                found.get("by_region") or [],
                chart_id="graphique-regions",
                title=f"Part des achats {year} auprès de structures inclusives, par région",
            ),
            "territory": view.breakdown(
                found.get("by_territory") or [],
                chart_id="graphique-territoires",
                title=f"Part des achats {year} auprès de structures en QPV ou en ZRR",
                labels=view.TERRITORIES,
            ),
            "category": view.breakdown(
                found.get("by_category") or [],
                chart_id="graphique-categories",
                title=f"Part inclusive des achats {year} par catégorie",
                share_key="inclusive_share",
            ),
            "entity": view.breakdown(
                found.get("by_buying_entity") or [],
                chart_id="graphique-entites",
                title=f"Part inclusive des achats {year} par entité acheteuse",
                share_key="inclusive_share",
            ),
            "years": view.years_chart(found.get("years") or [], name),
        },
        "label_of": view.label_of,
        "gap_sentence": view.gap_sentence,
        "safe_link": view.safe_link,
        "matches": view.MATCHES,
        "percent": percent,
        "euros": view.euros,
    }
    return visitor.render("spend/dashboard.html", context)


async def _export(
    visitor: Visitor, organisation_id: int, year: int, export: str, drill: view.Drill
) -> Response:
    """The year's figures as CSV or XLSX, or the RSE summary as PDF, narrowed like the page."""
    await _organisation(visitor, organisation_id)
    params = {"year": year, **drill.params}
    filename = EXPORTS[export]
    return await _relay(
        visitor, f"/organisations/{organisation_id}/spend/{export}", params, filename(year)
    )


Categorie = Query(default="", max_length=200)
Entite = Query(default="", max_length=200)


def _export_route(export: str) -> Callable[..., Any]:
    async def export_document(
        visitor: SignedInDep,
        organisation_id: int = OrganisationId,
        year: int = Year,
        categorie: str = Categorie,
        entite: str = Entite,
    ) -> Response:
        drill = view.read_drill(categorie, entite)
        return await _export(visitor, organisation_id, year, export, drill)

    return export_document


# The page's names of the documents, and the API's.
for _document, _export_name in (
    ("export.csv", "export.csv"),
    ("export.xlsx", "export.xlsx"),
    ("synthese.pdf", "summary.pdf"),
):
    router.add_api_route(
        f"/organisation/{{organisation_id}}/achats/{{year:int}}/{_document}",
        _export_route(_export_name),
        methods=["GET"],
        response_model=None,
    )


# The suppliers and their matching.


async def _suppliers_page(
    visitor: Visitor,
    organisation_id: int,
    year: int,
    wanted: view.SupplierQuery,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation = await _organisation(visitor, organisation_id)
    base = f"{_base(organisation_id)}/{year}/fournisseurs"
    context: dict[str, Any] = {
        "organisation": organisation,
        "year": year,
        "base": base,
        "dashboard": f"{_base(organisation_id)}/{year}",
        "home": _base(organisation_id),
        "wanted": wanted,
        "matches": view.MATCHES,
        "kinds": view.KINDS,
        "problem": problem,
        "notice": DONE.get(visitor.request.query_params.get("fait", "")),
        "euros": view.euros,
        "section": SECTION,
        "breadcrumb": _crumbs(
            organisation,
            (f"Achats {year}", f"{_base(organisation_id)}/{year}"),
            ("Fournisseurs", ""),
        ),
    }
    try:
        found = await visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/suppliers",
            params={"year": year, **wanted.params},
            **calls(visitor),
        )
    except ApiProblem as problem_found:
        if problem_found.status != 404:
            raise
        return visitor.render("spend/no_year.html", context, status_code=404)
    context |= {
        "found": found,
        "back": wanted.href(base).removeprefix(base),
        "pagination": view.supplier_pages(wanted, int(found.get("total") or 0), base),
    }
    return visitor.render("spend/suppliers.html", context, status_code=status_code)


@router.get(
    "/organisation/{organisation_id}/achats/{year:int}/fournisseurs", response_class=HTMLResponse
)
async def suppliers(
    visitor: SignedInDep,
    organisation_id: int = OrganisationId,
    year: int = Year,
    correspondance: str = Query(default="", max_length=16),
    q: str = Query(default="", max_length=100),
    page: int = Query(default=1, ge=1, le=10_000),
) -> HTMLResponse:
    wanted = view.read_supplier_query(correspondance, q, page)
    return await _suppliers_page(visitor, organisation_id, year, wanted)


@router.get(
    "/organisation/{organisation_id}/achats/{year:int}/fournisseurs/export.csv",
    response_model=None,
)
async def suppliers_csv(
    visitor: SignedInDep, organisation_id: int = OrganisationId, year: int = Year
) -> Response:
    await _organisation(visitor, organisation_id)
    return await _relay(
        visitor,
        f"/organisations/{organisation_id}/spend/suppliers/export.csv",
        {"year": year},
        f"fournisseurs-{year}.csv",
    )


@router.post(
    "/organisation/{organisation_id}/achats/{year:int}/fournisseurs/decision",
    response_model=None,
)
async def decide(
    visitor: SignedInDep,
    form: CheckedForm,
    organisation_id: int = OrganisationId,
    year: int = Year,
) -> Response:
    key, decision, back = (str(form.get(n) or "")[:300] for n in ("key", "decision", "retour"))
    base = f"{_base(organisation_id)}/{year}/fournisseurs"
    back = back if back.startswith("?") or not back else ""
    if decision not in ("confirm", "reject") or not key:
        return redirect(base + back)
    await _organisation(visitor, organisation_id)
    try:
        await visitor.state.api.post(
            f"/organisations/{organisation_id}/spend/suppliers/decision",
            {"year": year, "key": key, "decision": decision},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        query = visitor.request.query_params
        wanted = view.read_supplier_query(query.get("correspondance", ""), query.get("q", ""), 1)
        return await _suppliers_page(
            visitor, organisation_id, year, wanted, problem.detail or problem.title, 422
        )
    done = "confirme" if decision == "confirm" else "rejete"
    joiner = "&" if back else "?"
    return redirect(f"{base}{back}{joiner}fait={done}")


# The categories and their sectors.


async def _categories_page(
    visitor: Visitor,
    organisation_id: int,
    year: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation, found, catalogue = await asyncio.gather(
        _organisation(visitor, organisation_id),
        visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/categories",
            params={"year": year},
            **calls(visitor),
        ),
        sector_catalogue(visitor.state.api, visitor.client_ip),
    )
    items = found.get("items") or []
    chosen = values or {
        str(i["label"]): str(i.get("sector") or i.get("suggested_sector") or "") for i in items
    }
    return visitor.render(
        "spend/categories.html",
        {
            "organisation": organisation,
            "year": year,
            "base": f"{_base(organisation_id)}/{year}/categories",
            "dashboard": f"{_base(organisation_id)}/{year}",
            "items": items,
            "chosen": chosen,
            "groups": catalogue.groups,
            "names": catalogue.names,
            "errors": errors or {},
            "notice": DONE.get(visitor.request.query_params.get("fait", "")),
            "euros": view.euros,
            "section": SECTION,
            "breadcrumb": _crumbs(
                organisation,
                (f"Achats {year}", f"{_base(organisation_id)}/{year}"),
                ("Catégories", ""),
            ),
        },
        status_code=status_code,
    )


@router.get(
    "/organisation/{organisation_id}/achats/{year:int}/categories", response_class=HTMLResponse
)
async def categories(
    visitor: SignedInDep, organisation_id: int = OrganisationId, year: int = Year
) -> HTMLResponse:
    return await _categories_page(visitor, organisation_id, year)


@router.post("/organisation/{organisation_id}/achats/{year:int}/categories", response_model=None)
async def save_categories(
    visitor: SignedInDep,
    form: CheckedForm,
    organisation_id: int = OrganisationId,
    year: int = Year,
) -> Response:
    await _organisation(visitor, organisation_id)
    found, catalogue = await asyncio.gather(
        visitor.state.api.get(
            f"/organisations/{organisation_id}/spend/categories",
            params={"year": year},
            **calls(visitor),
        ),
        sector_catalogue(visitor.state.api, visitor.client_ip),
    )
    labels = [str(i["label"]) for i in found.get("items") or []]
    values, mappings, errors = view.read_categories(form, labels, catalogue.names)
    if not errors:
        try:
            await visitor.state.api.send(
                "PUT",
                f"/organisations/{organisation_id}/spend/categories",
                params={"year": year},
                json={"mappings": mappings},
                **calls(visitor),
            )
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            errors = view.category_errors(problem, labels, [m["label"] for m in mappings])
    if errors:
        return await _categories_page(visitor, organisation_id, year, values, errors, 422)
    return redirect(f"{_base(organisation_id)}/{year}/categories?fait=categories")
